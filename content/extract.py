"""Reading one page of a government website: its text encoding, the links of a list
page, and the fields of a 政府信息公开 article.

Metadata is found by the labels such pages use, not by their markup: the page is turned
into lines of text (one per block or table cell, inline tags merged), and a label such as
"发布机构：" starts a value wherever it stands — a label/value list, a two-column table,
or inline spans on one line. Every value leaves here as plain text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

import charset_normalizer
import lxml.html

from .quality import broken_characters, looks_like_mojibake_simple

# Raised when pages are read differently enough that stored documents should be read again
# (charset by evidence, label lists, hidden text, widgets): the next sync then asks for every
# article in full once, and the stored copies heal — guarded like any update.
READER_VERSION = "2"

# --- text encoding ----------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)

# GB2312 and GBK pages are decoded as GB18030, their superset: a page labelled gb2312
# routinely uses GBK-only characters.
_CHINESE_CHARSETS = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "hz-gb-2312", "euc-cn"}


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    if name in _CHINESE_CHARSETS:
        return "gb18030"
    try:
        "".encode(name)
    except LookupError:
        return None
    return name


@dataclass
class DecodedPage:
    """A page's text and how it was read: `charset` is the codec used, `declared` the one
    the HTTP header or the page's <meta> named (None when neither did)."""

    text: str
    charset: str
    declared: str | None = None

    @property
    def charset_overridden(self) -> bool:
        """The declaration was wrong and the bytes were read with another charset."""
        return self.declared is not None and self.charset != self.declared


def _declared_codec(raw: bytes, content_type: str | None) -> str | None:
    header = re.search(r"charset\s*=\s*([A-Za-z0-9_\-\"']+)", content_type or "", re.I)
    codec = _codec(header.group(1)) if header else None
    if codec is None:
        meta = _META_CHARSET.search(raw[:4096])
        codec = _codec(meta.group(1).decode("ascii", "ignore")) if meta else None
    return codec


def _clean_decoding(raw: bytes, codec: str) -> str | None:
    """`raw` read with `codec`, or None when that leaves undecodable bytes, replacement or
    private-use characters — the marks of the wrong charset."""
    try:
        text = raw.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
    return None if broken_characters(text) else text


def _plainly_utf8(raw: bytes) -> str | None:
    """`raw` as UTF-8 when it is valid UTF-8 with several multi-byte characters: bytes of
    GBK or Latin-1 text almost never form valid UTF-8 sequences by chance."""
    text = _clean_decoding(raw, "utf-8")
    if text is None or len(text.encode("utf-8")) - len(text) < 8:
        return None
    return text


def _guessed_codec(raw: bytes) -> str | None:
    """charset_normalizer's reading of the bytes, for pages neither UTF-8 nor GB18030 reads."""
    best = charset_normalizer.from_bytes(raw[:200_000]).best()
    return _codec(best.encoding) if best is not None else None


def read_page(raw: bytes, content_type: str | None = None) -> DecodedPage:
    """The page's text, by evidence as much as by declaration.

    The charset the HTTP header (else the <meta>) declares is used when the bytes decode
    cleanly with it. A wrong declaration — a site migrated to UTF-8 that still says GBK —
    shows as undecodable bytes, replacement or private-use characters, or as bytes that are
    plainly UTF-8; then UTF-8, GB18030, or charset_normalizer's guess, whichever reads the
    bytes cleanly, is used instead. Without a declaration: UTF-8 if clean, else GB18030."""
    declared = _declared_codec(raw, content_type)
    if raw.startswith(b"\xef\xbb\xbf"):
        return DecodedPage(raw[3:].decode("utf-8", errors="replace"), "utf-8", declared or "utf-8")
    if declared and declared != "utf-8":
        utf8 = _plainly_utf8(raw)
        if utf8 is not None:
            return DecodedPage(utf8, "utf-8", declared)
    if declared:
        text = _clean_decoding(raw, declared)
        if text is not None:
            return DecodedPage(text, declared, declared)
    candidates = [codec for codec in ("utf-8", "gb18030") if codec != declared]
    for codec in candidates:
        text = _clean_decoding(raw, codec)
        if text is not None:
            return DecodedPage(text, codec, declared)
    guessed = _guessed_codec(raw)
    if guessed and guessed != declared:
        text = _clean_decoding(raw, guessed)
        if text is not None and not looks_like_mojibake_simple(text):
            return DecodedPage(text, guessed, declared)
    codec = declared or "gb18030"
    return DecodedPage(raw.decode(codec, errors="replace"), codec, declared)


def decode_page(raw: bytes, content_type: str | None = None) -> str:
    """The page's text (see `read_page`)."""
    return read_page(raw, content_type).text


_SCRIPT_OR_COMMENT = re.compile(r"<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->", re.I | re.S)
_OPEN_RAW = re.compile(r"<script\b|<style\b|<!--", re.I)
_DIV_OPEN = re.compile(r"<div\b", re.I)
_DIV_CLOSE = re.compile(r"</div\s*>", re.I)
# Hand-made pages leave a div or two open (a few in a hundred); a page cut off mid-way
# leaves its whole layout open (body > wrapper > main > article …): at least this many
# and this share of its divs.
UNCLOSED_DIVS_TRUNCATED = 3
UNCLOSED_DIVS_SHARE_TRUNCATED = 0.1


def looks_truncated(html: str) -> bool:
    """Whether the page was cut off on the way, judged by its structure, not by a
    `</html>` alone — real pages carry one mid-page (in an embedded snippet or a stray
    template), and a transfer cut right after it still ends in `</html>`.

    Cut off: an <html> that is never closed, a <body> that is never closed, a script,
    style or comment left open, or several <div>s left open (three, and a tenth of them)."""
    head = html[:4096].lower()
    if "<html" in head and "</html>" not in html[-200_000:].lower():
        return True
    markup = _SCRIPT_OR_COMMENT.sub("", html)
    if _OPEN_RAW.search(markup):
        return True
    lowered = markup.lower()
    body_start = lowered.find("<body")
    if body_start >= 0 and "</body>" not in lowered[body_start:]:
        return True
    opened = len(_DIV_OPEN.findall(markup))
    unclosed = opened - len(_DIV_CLOSE.findall(markup))
    return unclosed >= UNCLOSED_DIVS_TRUNCATED and unclosed >= UNCLOSED_DIVS_SHARE_TRUNCATED * opened


# --- text helpers -----------------------------------------------------------------

_SPACES = re.compile(r"[\s\u3000\xa0\u200b\ufeff]+")
_NONE_VALUES = re.compile(r"^[\s\-—－―_/／无暂无空]*$")


def clean_text(text: str | None) -> str:
    """One line of plain text: whitespace (full-width too) collapsed, ends trimmed."""
    return _SPACES.sub(" ", text or "").strip()


# Website text reaches kiosk screens as plain text: the ASCII brackets that open Kivy markup
# ("[color=...]") and HTML tags become their full-width forms, usual in Chinese typesetting.
_MARKUP_SAFE = str.maketrans({"[": "［", "]": "］", "<": "＜", ">": "＞"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def safe_text(text: str | None) -> str:
    """Text that no screen can take for markup: no Kivy markup, no HTML tags, no control codes."""
    return _CONTROL.sub("", (text or "").translate(_MARKUP_SAFE))


def _value(text: str | None) -> str | None:
    """A metadata value, or None for the empty markers pages use ("————", "无", "/")."""
    text = clean_text(text).strip(":：").strip()
    if not text or _NONE_VALUES.match(text):
        return None
    return safe_text(text)


_DATE = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")


def normalise_date(text: str | None) -> str | None:
    """"2013年12月30日", "2013-12-30 10:00", "2013/12/30" -> "2013-12-30"; else None."""
    if not text:
        return None
    found = _DATE.search(unicodedata.normalize("NFKC", text))
    if not found:
        return None
    year, month, day = (int(x) for x in found.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


# --- metadata labels --------------------------------------------------------------

# field -> its labels, best first. A field found under an earlier label wins.
LABELS: dict[str, tuple[str, ...]] = {
    "title": ("标题", "文件名称", "信息名称"),
    "index_no": ("索引号", "索引编号"),
    "doc_no": ("发文字号", "发文文号", "文号"),
    "written_on": ("成文日期", "成文时间", "发文日期"),
    "publisher": ("公开主体", "发布机构", "发文机关", "发文机构", "发布单位", "公开单位", "信息来源", "来源"),
    "category": ("信息分类", "主题分类", "公开类别", "所属分类", "分类"),
    "published_on": ("公开日期", "发布日期", "公开时间", "发布时间"),
    "repealed_on": ("废止日期", "失效日期", "失效时间"),
    "validity": ("有效性", "效力状态", "时效性", "是否有效"),
}
DATE_FIELDS = ("written_on", "published_on", "repealed_on")

# Labels that are no field but end the value before them ("来源：县民政局 浏览次数：12").
STOP_LABELS = ("浏览次数", "浏览量", "点击数", "点击率", "阅读次数", "访问次数", "字号", "字体", "作者", "分享到",
               "打印", "责任编辑", "编辑", "责编", "审核", "校对", "供稿")

_LABEL_FIELD: dict[str, tuple[str | None, int]] = {label: (None, 0) for label in STOP_LABELS}
for _field, _labels in LABELS.items():
    for _rank, _label in enumerate(_labels):
        _LABEL_FIELD[_label] = (_field, _rank)

# A label may be padded inside ("标　　题"); longest labels are tried first.
_GAP = r"[\s\u3000\xa0]*"
_LABEL_ALTERNATION = "|".join(
    "(?:" + _GAP.join(map(re.escape, label)) + ")" for label in sorted(_LABEL_FIELD, key=len, reverse=True))
# Inline element boundaries are marked in metadata lines, so "局</span><span>发布日期：" still
# starts a label while "垃圾分类：" in running text does not.
BOUNDARY = "\ue000"  # a private-use character: never in page text, not whitespace
# mid-line a label needs its colon and must not continue a word; at the start of a line a
# space or the line's end will do
_LABEL_COLON = re.compile(r"(?<![\u4e00-\u9fff])(?P<label>" + _LABEL_ALTERNATION + r")" + _GAP + r"\ue000*[:：]")
_LABEL_AT_START = re.compile(r"^\ue000*(?P<label>" + _LABEL_ALTERNATION + r")" + _GAP + r"\ue000*(?:[:：]|\s|$)")


def _label_field(label_text: str) -> tuple[str | None, int]:
    return _LABEL_FIELD[_SPACES.sub("", label_text)]


def _label_hits(line: str) -> list[re.Match]:
    hits = list(_LABEL_COLON.finditer(line))
    start = _LABEL_AT_START.match(line)
    if start and not (hits and hits[0].start("label") == start.start("label")):
        hits.insert(0, start)
    return hits


def find_metadata(lines: list[str]) -> dict[str, str]:
    """Label -> value pairs from lines of text, keyed by field, values as written."""
    found: dict[str, tuple[int, str]] = {}
    for index, line in enumerate(lines):
        hits = _label_hits(line)
        for number, hit in enumerate(hits):
            end = hits[number + 1].start() if number + 1 < len(hits) else len(line)
            raw = line[hit.end():end]
            if not raw.strip(" :：\u3000" + BOUNDARY) and number + 1 == len(hits):
                # the value sits in the next line (next table cell, next <dd>)
                following = lines[index + 1] if index + 1 < len(lines) else ""
                raw = "" if _label_hits(following) else following
            name, rank = _label_field(hit.group("label"))
            if name is None:
                continue
            raw = raw.replace(BOUNDARY, "")
            if name not in found or rank < found[name][0]:
                found[name] = (rank, raw)
    return {name: raw for name, (rank, raw) in found.items()}


def _exact_label(text: str) -> str | None:
    """The label `text` is, when it is nothing but a label (no colon, no value)."""
    key = _SPACES.sub("", text or "")
    return key if key in _LABEL_FIELD else None


def _label_list_container(root):
    """The element holding a metadata list in which each label is an element of its own,
    without a colon (the county's 政务公开 pages): the element with the most such labels
    inside, the innermost of equals. None when no element holds three."""
    counts: dict = {}
    for element in root.iter():
        # a label's innermost element: the label is its own text, and it holds nothing else
        if _tag(element) is None or not _exact_label(element.text) or any(
                _tag(child) and clean_text(child.text_content()) for child in element):
            continue
        depth = 0
        for ancestor in element.iterancestors():
            depth += 1
            found = counts.setdefault(id(ancestor), [ancestor, 0, 0])
            found[1] += 1
            found[2] = -depth  # nearer the label: deeper in the page
    best = None
    for ancestor, count, nearness in counts.values():
        if count >= 3 and (best is None or (count, nearness) > (best[1], best[2])):
            best = (ancestor, count, nearness)
    return best[0] if best else None


def label_list_metadata(root) -> dict[str, str | None]:
    """Fields of a label list where labels and values are elements of their own, read in
    order: a label's value is the text up to the next label, and a label followed at once
    by another label (an empty value leaves no element) has none — never the next label.

    Text: 标题 / 县政务公开工作总结 / 索引号 / 发文字号 / 成文日期 / 2013-12-28 gives the title,
    no index number, no document number, the written date."""
    container = _label_list_container(root)
    if container is None:
        return {}
    cells: list[tuple[int, str]] = []  # (line number, text) of each element's text
    for number, line in enumerate(page_lines(container, mark_boundaries=True)):
        for segment in line.split(BOUNDARY):
            if segment.strip():
                cells.append((number, segment.strip()))
    found: dict[str, tuple[bool, int, str | None]] = {}  # field -> (has value, rank, value)
    index = 0
    while index < len(cells):
        label = _exact_label(cells[index][1])
        index += 1
        if label is None:
            continue
        value_parts, value_line = [], None
        while index < len(cells) and not _exact_label(cells[index][1]):
            line, text = cells[index]
            if value_line is None or line == value_line:  # inline markup splits one value
                value_line = line
                value_parts.append(text)
            index += 1
        name, rank = _LABEL_FIELD[label]
        if name is None:
            continue
        value = _value("".join(value_parts))
        candidate = (value is not None, -rank, value)
        if name not in found or candidate[:2] > found[name][:2]:
            found[name] = candidate
    return {name: value for name, (_, _, value) in found.items()}


# --- the page as lines ------------------------------------------------------------

_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
    "html", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead",
    "title", "tr", "ul",
}
_SKIP_TAGS = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "select", "option",
              "button", "input", "textarea"}
# Parts of a page that are never the article: navigation, breadcrumbs, footers, sharing.
_NOISE_TAGS = {"nav", "header", "footer", "aside", "form"}
_NOISE_NAME = re.compile(
    r"(^|[-_ ])(nav|navbar|menu|breadcrumbs?|crumbs?|bread|position|location|dqwz|footer|foot|bottom|copyright|"
    r"header|head|top|topbar|share|sidebar|side|print|toolbar|search|links?|friendlink)([-_ \d]|$)", re.I)
# Lines of share boxes and download widgets: "X", "扫一扫在手机打开当前页", "pdf下载 word下载".
_WIDGET_WORD = (r"(?:[Xx×✕✖]|扫一扫(?:在手机(?:上)?(?:打开|查看|阅读)(?:当前页|本页|此页)?)?|在手机(?:上)?打开当前页|"
                r"(?:pdf|word|doc|docx|ofd|wps|txt)\s*(?:下载|版)|下载|分享(?:到)?|收藏|打印|关闭|返回顶部|"
                r"(?:微信|微博|QQ空间|QQ)(?:好友|朋友圈)?|【[^】]{1,6}】)")
_WIDGET_LINE = re.compile(r"^\s*" + _WIDGET_WORD + r"(?:[\s|｜/、:：]*" + _WIDGET_WORD + r")*[\s:：]*$", re.I)
_NOISE_TEXT = ("网站标识码", "ICP备", "ICP 备", "公网安备", "当前位置", "您的位置", "打印本页", "关闭窗口",
               "【打印】", "【关闭】", "分享到", "字体：", "字号：", "【大】", "【中】", "【小】", "主办单位：",
               "版权所有")


def _tag(element) -> str | None:
    return element.tag.lower() if isinstance(element.tag, str) else None


def page_lines(root, mark_boundaries: bool = False) -> list[str]:
    """Lines of plain text in reading order: one per block element or table cell, inline
    elements merged into their line, scripts and styles dropped. With `mark_boundaries`
    the edges of inline elements are marked with BOUNDARY (for finding labels)."""
    lines: list[str] = []
    buffer: list[str] = []

    def flush():
        text = clean_text("".join(buffer))
        buffer.clear()
        if not text.strip(BOUNDARY + " "):
            return
        if text.strip(BOUNDARY + " ") in (":", "：") and lines:  # a lone colon between a label and its value
            lines[-1] += text
        elif text:
            lines.append(text)

    def walk(element, depth=0):
        tag = _tag(element)
        if tag is not None and tag not in _SKIP_TAGS and depth < 400:
            block = tag in _BLOCK_TAGS
            mark = mark_boundaries and not block
            if block:
                flush()
            if mark:
                buffer.append(BOUNDARY)
            if element.text:
                buffer.append(element.text)
            for child in element:
                walk(child, depth + 1)
            if block:
                flush()
            elif mark:
                buffer.append(BOUNDARY)
        if element.tail:
            buffer.append(element.tail)

    walk(root)
    flush()
    return lines


def parse_html(html: str):
    html = _XML_DECLARATION.sub("", html, count=1)
    if not html.strip():
        html = "<html></html>"
    return lxml.html.document_fromstring(html)


def _is_noise(element) -> bool:
    tag = _tag(element)
    if tag in _NOISE_TAGS:
        return True
    names = " ".join(filter(None, [element.get("class"), element.get("id")]))
    return bool(names and _NOISE_NAME.search(names))


_HIDDEN_CLASSES = {"hide", "hidden", "d-none", "is-hidden", "display-none", "sr-only", "visually-hidden"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def _is_hidden(element) -> bool:
    """Hidden from the reader: the `hidden` attribute, display:none, or a hiding class."""
    if element.get("hidden") is not None or _HIDDEN_STYLE.search(element.get("style") or ""):
        return True
    return bool(_HIDDEN_CLASSES & set((element.get("class") or "").lower().split()))


def strip_hidden(root):
    """Remove what the page hides (a hidden element is never the article's body)."""
    for element in list(root.iter()):
        if _tag(element) not in (None, "html", "body") and element.getparent() is not None and _is_hidden(element):
            _drop(element)


def _drop(element):
    """Remove an element but keep its tail text in place."""
    parent = element.getparent()
    if parent is not None:
        element.drop_tree()


def strip_noise(root):
    for element in list(root.iter()):
        tag = _tag(element)
        if tag is None:
            continue
        if tag in _SKIP_TAGS or (tag not in ("html", "body") and _is_noise(element)):
            _drop(element)


# --- list pages -------------------------------------------------------------------

_DOCUMENT_FILE = re.compile(r"\.(pdf|docx?|xlsx?|et|wps|ofd|zip|rar|7z|pptx?|txt|jpe?g|png|gif)$", re.I)
_NEXT_TEXT = {"下一页", "下页", "后一页", "后页", ">", ">>", "›", "»", "next", "下一页>", "下一页>>"}


@dataclass
class ListPage:
    articles: list[str] = field(default_factory=list)
    next_pages: list[str] = field(default_factory=list)


def _absolute(base_url: str, href: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    if href.lower().startswith(("javascript:", "mailto:", "tel:", "#")):
        return None
    url = urldefrag(urljoin(base_url, href))[0]
    return url if urlsplit(url).scheme in ("http", "https") else None


# TRS, a CMS common on government sites, writes its pager with a script:
# createPageHTML(10, 0, "index", "html") -> index.html, index_1.html … index_9.html
_TRS_PAGER = re.compile(r"""createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*["'](\w+)["']\s*,\s*["'](\w+)["']""")


def _scripted_pages(html: str, page_url: str) -> list[str]:
    found = _TRS_PAGER.search(html)
    if not found:
        return []
    count, _current, name, extension = int(found.group(1)), found.group(2), found.group(3), found.group(4)
    return [urljoin(page_url, f"{name}_{number}.{extension}") for number in range(1, min(count, 1000))]


def read_list_page(html: str, page_url: str, article_pattern: str | None = None,
                   next_pattern: str | None = None) -> ListPage:
    """The article links and the further list pages (pagination) of a list page.

    With patterns from the site description, they decide; without, an article is a link
    on the same site with a title-like text, outside the navigation, that is not a file,
    and the next pages are links reading "下一页" or a page number."""
    root = parse_html(html)
    strip_noise(root)
    host = urlsplit(page_url).netloc
    page = ListPage()
    seen = {page_url}
    for url in _scripted_pages(html, page_url):
        if url not in seen:
            seen.add(url)
            page.next_pages.append(url)
    article_re = re.compile(article_pattern) if article_pattern else None
    next_re = re.compile(next_pattern) if next_pattern else None
    for link in root.iter("a"):
        url = _absolute(page_url, link.get("href"))
        if not url or url in seen or urlsplit(url).netloc != host:
            continue
        text = clean_text(link.text_content())
        is_next = (next_re.search(url) is not None) if next_re else (text.lower() in _NEXT_TEXT or text.isdigit())
        if is_next:
            seen.add(url)
            page.next_pages.append(url)
            continue
        if article_re:
            is_article = article_re.search(url) is not None
        else:
            is_article = len(text) >= 5 and not _DOCUMENT_FILE.search(urlsplit(url).path)
        if is_article:
            seen.add(url)
            page.articles.append(url)
    return page


# --- articles ---------------------------------------------------------------------

# Containers (id or class) that common CMSs of Chinese government sites put the body in.
_BODY_NAMES = ("UCAP-CONTENT", "TRS_Editor", "trs_editor_view", "zoom", "Zoom", "article-content",
               "article_content", "content-text", "pages_content", "wzcon")
_BODY_XPATH = " | ".join(
    f"//*[@id='{name}'] | //*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]" for name in _BODY_NAMES)


class NotAnArticle(ValueError):
    """The page has no title or no text to keep."""


def _meta(root, name: str) -> str | None:
    for element in root.iter("meta"):
        if (element.get("name") or "").lower() == name.lower():
            return _value(plain_text(element.get("content") or ""))
    return None


def _direct_text_score(element) -> int:
    """How much paragraph text an element holds directly (its own <p> children and text)."""
    score = len(clean_text(element.text))
    for child in element:
        tag = _tag(child)
        if tag == "p":
            score += len(clean_text(child.text_content()))
        elif tag == "br":
            score += 1
        score += len(clean_text(child.tail))
    return score


def _body_container(root):
    for found in root.xpath(_BODY_XPATH):
        if clean_text(found.text_content()):
            return found
    best, best_score = None, 0
    for element in root.iter("div", "td", "article", "section", "main", "body"):
        score = _direct_text_score(element)
        if score > best_score:
            best, best_score = element, score
    return best


_BLOCK_OF_METADATA = {"table", "tbody", "tr", "ul", "ol", "dl", "div", "section", "p"}


def _fields_named(text: str | None) -> set[str]:
    line = clean_text(text)
    return {_label_field(hit.group("label"))[0] for hit in _label_hits(line)} - {None} if line else set()


def drop_metadata_blocks_everywhere(root):
    """Remove the innermost blocks that hold two or more metadata labels and little else
    (under 800 characters), wherever they are, before the body is looked for: a metadata
    value (a long title in a table cell) must never outweigh a short body ("详见附件。").
    One pass from the leaves up, so a large page costs no more than reading it."""
    found: list = []

    def visit(element, depth: int = 0) -> tuple[set[str], int, bool]:
        fields, length, child_found = _fields_named(element.text), len(clean_text(element.text)), False
        for child in element:
            if _tag(child) is not None and depth < 400:
                child_fields, child_length, inner = visit(child, depth + 1)
                fields |= child_fields
                length += child_length
                child_found = child_found or inner
            fields |= _fields_named(child.tail)
            length += len(clean_text(child.tail))
        qualifies = (not child_found and _tag(element) in _BLOCK_OF_METADATA and len(fields) >= 2
                     and length < 800)
        if qualifies:
            found.append(element)
        return fields, length, child_found or qualifies

    visit(root)
    for element in found:
        _drop(element)


def _drop_metadata_blocks(container):
    """Metadata tables and lists inside the body container are not the body."""
    for element in list(container.iter("table", "ul", "dl", "div", "ol")):
        if element is container or element.getparent() is None:
            continue
        text = clean_text(element.text_content())
        labels = {_label_field(h.group("label"))[0] for line in page_lines(element, mark_boundaries=True)
                  for h in _label_hits(line)} - {None}
        if len(labels) >= 2 and len(text) < 800:
            _drop(element)


def _attachments(root, page_url: str) -> list[dict]:
    found, seen = [], set()
    for link in root.iter("a"):
        url = _absolute(page_url, link.get("href"))
        if not url or url in seen or not _DOCUMENT_FILE.search(urlsplit(url).path):
            continue
        seen.add(url)
        name = safe_text(clean_text(link.text_content()) or urlsplit(url).path.rsplit("/", 1)[-1])
        found.append({"name": name, "url": url})
    return found


def _title_from_page(root) -> str | None:
    for tag in ("h1", "h2"):
        for element in root.iter(tag):
            text = _value(element.text_content())
            if text and len(text) >= 4:
                return text
    titles = list(root.iter("title"))
    if titles:
        text = clean_text(titles[0].text_content())
        return _value(re.split(r"\s*(?:_|\||——|－| - )\s*", text)[0]) if text else None
    return None


def extract_article(html: str, url: str) -> dict:
    """The fields of one disclosure page (content.store.DOCUMENT_FIELDS): dates as
    YYYY-MM-DD, a missing field as None, the body as plain-text paragraphs separated
    by blank lines, attachments as [{"name", "url"}]."""
    root = parse_html(html)
    for element in list(root.iter(*_SKIP_TAGS)):
        _drop(element)
    raw = find_metadata(page_lines(root, mark_boundaries=True))
    doc: dict = {name: _value(raw.get(name)) for name in LABELS}
    # a list of label and value elements is read in its own order: there an empty value
    # is known to be empty, where reading by lines could take the next label for it
    doc.update(label_list_metadata(root))
    for name in DATE_FIELDS:
        doc[name] = normalise_date(doc[name])
    doc["title"] = doc["title"] or _meta(root, "ArticleTitle") or _title_from_page(root)
    doc["published_on"] = doc["published_on"] or normalise_date(_meta(root, "PubDate"))
    doc["publisher"] = doc["publisher"] or _meta(root, "ContentSource")
    if not doc["title"]:
        raise NotAnArticle("页面没有标题")

    strip_noise(root)
    strip_hidden(root)
    drop_metadata_blocks_everywhere(root)
    body = _body_container(root)
    paragraphs: list[str] = []
    attachments = _attachments(root, url)
    if body is not None:
        _drop_metadata_blocks(body)
        for line in page_lines(body):
            if line == doc["title"] or any(marker in line for marker in _NOISE_TEXT) or _WIDGET_LINE.match(line):
                continue
            if any(a["name"] == safe_text(line) for a in attachments):
                continue
            paragraphs.append(safe_text(line))
    doc["body"] = "\n\n".join(paragraphs)
    doc["attachments"] = attachments
    doc["source_url"] = url
    if not doc["body"] and not attachments:
        raise NotAnArticle("页面没有正文")
    return doc


def plain_text(html_fragment: str) -> str:
    """Any HTML as plain text (tags removed, entities decoded), lines kept."""
    if not html_fragment or "<" not in html_fragment:
        return html_fragment or ""
    root = parse_html("<html><body>" + html_fragment + "</body></html>")
    return "\n".join(page_lines(root))


__all__ = ["safe_text", "decode_page", "read_page", "DecodedPage", "label_list_metadata", "looks_truncated", "normalise_date", "find_metadata", "page_lines", "read_list_page",
           "extract_article", "NotAnArticle", "ListPage", "plain_text", "clean_text"]
