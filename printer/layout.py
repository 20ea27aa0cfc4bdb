"""Slips laid out as printer lines, once, for both ways of printing.

The grid is the printer's own: in Chinese mode a byte-sized (ASCII) character is one
column of 12 dots and every other character (hanzi, full-width punctuation) is two
columns, 24 dots; `GS !` multiplies both. Text mode sends these lines as GB18030;
image mode draws the same lines on the same grid, so both look alike on paper."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .slips import MaterialsSlip, TicketSlip

COLUMN_DOTS = 12  # width of one half-width column at 1x (Font A, 12 x 24)
CHAR_DOTS = 24  # height of a character at 1x
MAX_SCALE = 8  # GS ! allows 1..8 in each direction

# A line may not start with these (closing punctuation) nor end with the openers.
NO_LINE_START = set("，。、；：？！）》」』】〕…—’”,.;:!?)]}%")
NO_LINE_END = set("（《「『【〔‘“([{")


@dataclass(frozen=True)
class TextLine:
    text: str
    width_scale: int = 1
    height_scale: int = 1
    align: str = "left"  # left | center | right
    bold: bool = False


@dataclass(frozen=True)
class QrCode:
    data: str
    module_dots: int  # size of one QR module in printer dots (GS ( k function 167)


@dataclass(frozen=True)
class Feed:
    lines: int = 1


Block = TextLine | QrCode | Feed


# Control characters in a service name would be printer commands (ESC, GS) or break lines.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")


def printable(text: str) -> str:
    return CONTROL_CHARACTERS.sub(" ", str(text)).strip()


def char_columns(char: str) -> int:
    """Columns one character takes on the printer: ASCII is one byte and one column."""
    return 1 if ord(char) < 0x80 else 2


def text_columns(text: str) -> int:
    return sum(char_columns(char) for char in text)


def _tokens(text: str) -> list[str]:
    """Break points: a run of printable ASCII (a word, a number, a URL) stays whole."""
    tokens: list[str] = []
    for char in text:
        if tokens and char != " " and "!" <= char <= "~" and tokens[-1][-1] != " " and tokens[-1][-1] <= "~":
            tokens[-1] += char
        else:
            tokens.append(char)
    return tokens


def wrap(text: str, columns: int, indent: int = 0) -> list[str]:
    """Lines of at most `columns` columns; continuation lines start with `indent` spaces.

    ASCII words are not split unless longer than a line; a line does not start with
    closing punctuation nor end with an opening one: characters move down instead, as
    long as the line they move to has room."""
    text = printable(text)
    lead = [" " * indent] if indent else []
    lines: list[list[str]] = []
    line: list[str] = []
    first = 0  # index of the first real token in `line` (after the indent)
    for token in _tokens(text):
        pieces = list(token) if text_columns(token) > columns - indent else [token]
        for piece in pieces:
            if line[first:] and sum(map(text_columns, line)) + text_columns(piece) > columns:
                carried: list[str] = []

                def can_carry() -> bool:
                    moved = text_columns(line[-1]) + sum(map(text_columns, carried)) + text_columns(piece)
                    return len(line) - first > 1 and indent + moved <= columns

                while (carried[0] if carried else piece)[0] in NO_LINE_START and can_carry():
                    carried.insert(0, line.pop())
                while line[-1][-1] in NO_LINE_END and can_carry():
                    carried.insert(0, line.pop())
                lines.append(line)
                line, first = lead + carried, len(lead)
                if piece == " ":
                    continue  # the break eats the space
            line.append(piece)
    lines.append(line)
    return ["".join(line).rstrip() for line in lines]


def fitted_lines(text: str, columns: int, scales=(2, 1), height_scale: int = 2, align="center",
                 bold=True) -> list[TextLine]:
    """A heading at the widest of `scales` that fits on one line, wrapped at the narrowest otherwise."""
    text = printable(text)
    for scale in scales:
        if text_columns(text) * scale <= columns:
            return [TextLine(text, scale, height_scale, align, bold)]
    narrowest = scales[-1]
    return [TextLine(line, narrowest, height_scale, align, bold)
            for line in wrap(text, columns // narrowest)]


def number_scale(number: str, columns: int) -> int:
    """The largest GS ! size at which the ticket number fits a line, at most 6 (about 18 mm tall)."""
    return max(1, min(6, columns // max(text_columns(number), 1)))


def rule(columns: int) -> TextLine:
    return TextLine("-" * columns)


def paragraph(text: str, columns: int, indent: int = 0, **style) -> list[TextLine]:
    return [TextLine(line, **style) for line in wrap(text, columns, indent)]


def numbered(items: list[str], columns: int) -> list[TextLine]:
    """1. first item / 2. second item, continuation lines under the text, not the number."""
    lines: list[TextLine] = []
    for index, item in enumerate(items, start=1):
        prefix = f"{index}. "
        lines += paragraph(prefix + item, columns, indent=len(prefix))
    return lines


def format_wait(minutes: int | None) -> str:
    if minutes is None:
        return "暂无估计"
    minutes = round(minutes)
    if minutes <= 0:
        return "即将叫号"
    if minutes < 60:
        return f"约 {minutes} 分钟"
    hours, rest = divmod(minutes, 60)
    return f"约 {hours} 小时 {rest} 分钟" if rest else f"约 {hours} 小时"


def qr_module_dots(columns: int) -> int:
    """Module size: about 22 mm across for a version 3-4 code on 80 mm paper, 18 mm on 58 mm."""
    return 6 if columns >= 40 else 5


def ticket_layout(slip: TicketSlip, columns: int) -> list[Block]:
    """The queue ticket, top to bottom."""
    blocks: list[Block] = []
    blocks += fitted_lines(slip.hall_name, columns)
    blocks.append(TextLine(f"【{printable(slip.tag)}】排队取号凭条" if slip.tag else "排队取号凭条", align="center",
                           bold=bool(slip.tag)))
    blocks.append(rule(columns))
    number = printable(slip.number)
    scale = number_scale(number, columns)
    blocks.append(TextLine(number, scale, scale, "center", True))
    blocks += fitted_lines(slip.service, columns, scales=(1,), height_scale=2)
    blocks += paragraph(slip.department, columns, align="center")
    blocks.append(rule(columns))
    # the same words as the kiosk's screen: 前面还有 N 人, 预计等候约 M 分钟, 请到 3、4 号窗口等候叫号
    blocks += paragraph(f"前面还有 {slip.ahead} 人" if slip.ahead else "前面没有人", columns, bold=True)
    if slip.ahead:
        blocks += paragraph(f"预计等候{format_wait(slip.estimated_wait_min)}", columns)
    if slip.windows:
        windows = "、".join(str(number) for number in slip.windows)
        blocks += paragraph(f"请到 {windows} 号窗口等候叫号", columns, bold=True)
    blocks += paragraph(f"取号时间：{slip.local_issued_at:%Y-%m-%d %H:%M}", columns)
    if slip.status_url:
        blocks.append(Feed(1))
        blocks.append(QrCode(slip.status_url, qr_module_dots(columns)))
        blocks += paragraph("微信或手机浏览器扫码，随时查看排队进度", columns, align="center")
    if slip.notices:
        blocks.append(rule(columns))
        blocks.append(TextLine("温馨提示：", bold=True))
        blocks += numbered(slip.notices, columns)
    return blocks


def materials_layout(slip: MaterialsSlip, columns: int) -> list[Block]:
    """The list of materials to bring (一次性告知单)."""
    blocks: list[Block] = []
    blocks += fitted_lines("一次性告知单", columns)
    blocks += paragraph(slip.hall_name, columns, align="center")
    blocks.append(rule(columns))
    blocks += paragraph(f"办理事项：{slip.service}", columns, indent=10, bold=True)
    blocks += paragraph(f"承办部门：{slip.department}", columns, indent=10)
    blocks.append(rule(columns))
    blocks.append(TextLine("请携带以下材料：", bold=True))
    blocks += numbered(slip.materials, columns)
    if slip.notes:
        blocks.append(Feed(1))
        blocks.append(TextLine("说明：", bold=True))
        blocks += numbered(slip.notes, columns)
    if slip.contact:
        blocks.append(rule(columns))
        blocks += paragraph(f"咨询电话：{slip.contact}", columns, indent=10)
    return blocks
