"""Laying slips out on the printer's grid: wrapping, punctuation rules, safe text."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from printer import TicketSlip, open_printer
from printer.layout import NO_LINE_END, NO_LINE_START, TextLine, format_wait, text_columns, ticket_layout, wrap

MIXED = st.text(alphabet=st.sampled_from(list("政务服务中心办理材料ABCxyz0123 （）：，。、！-/.")), max_size=120)


@settings(max_examples=300, deadline=None)
@given(text=MIXED, columns=st.integers(min_value=8, max_value=48), indent=st.integers(min_value=0, max_value=4))
def test_wrapped_lines_fit_and_lose_nothing(text, columns, indent):
    lines = wrap(text, columns, indent)
    assert all(text_columns(line) <= columns for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


PHRASES = st.lists(st.tuples(st.text(alphabet=st.sampled_from(list("政务服务中心办理材料")), min_size=1, max_size=6),
                             st.sampled_from([""] + sorted(NO_LINE_START | NO_LINE_END))), max_size=20)


@settings(max_examples=300, deadline=None)
@given(phrases=PHRASES, columns=st.integers(min_value=8, max_value=48))
def test_no_line_starts_with_closing_or_ends_with_opening_punctuation(phrases, columns):
    text = "".join(words + mark for words, mark in phrases)
    lines = wrap(text, columns)
    assert all(line[0] not in NO_LINE_START for line in lines[1:])
    assert all(line[-1] not in NO_LINE_END for line in lines[:-1])


def test_closing_punctuation_takes_the_character_before_it_along():
    assert wrap("请在窗口办理。", 12) == ["请在窗口办", "理。"]  # 12 columns hold six hanzi; "。" may not lead
    assert wrap("网签合同（备案号）", 10) == ["网签合同", "（备案号）"]  # "（" may not end a line


def test_ascii_words_stay_whole_and_long_ones_are_cut():
    assert wrap("call A012 now please", 10) == ["call A012", "now please"]
    assert wrap("http://example.org/abcdefgh", 10) == ["http://exa", "mple.org/a", "bcdefgh"]


def test_control_characters_cannot_become_printer_commands(ticket):
    hostile = replace(ticket, service="低保\x1b@\x1dV\x00申请\n第二行", number="A\x1b01")
    data = open_printer("dummy:").print_ticket(hostile)
    assert data.count(b"\x1b@") == 1 and data.count(b"\x1dV") == 1  # only govhall's own
    assert "低保 @ V 申请 第二行".encode("gb18030") in data  # the commands' letters print as letters


def test_wait_wording():
    assert [format_wait(m) for m in (None, 0, 7, 7.6, 60, 95)] == [
        "暂无估计", "即将叫号", "约 7 分钟", "约 8 分钟", "约 1 小时", "约 1 小时 35 分钟"]


def test_issue_time_is_the_halls_wall_clock(ticket):
    lines = [block.text for block in ticket_layout(ticket, 48) if isinstance(block, TextLine)]
    assert "取号时间：2026-11-25 11:05" in lines  # 03:05 UTC
    urumqi = replace(ticket, timezone="Asia/Urumqi")
    assert "取号时间：2026-11-25 09:05" in [b.text for b in ticket_layout(urumqi, 48) if isinstance(b, TextLine)]


def test_naive_issue_time_is_refused(ticket):
    with pytest.raises(ValueError):
        TicketSlip(**{**ticket.__dict__, "issued_at": datetime(2026, 11, 25, 11, 5)})


def test_headings_shrink_to_fit_narrow_paper(ticket):
    wide = ticket_layout(ticket, 48)[0]
    narrow = ticket_layout(ticket, 32)[0]
    assert (wide.width_scale, wide.height_scale) == (2, 2)  # 11 hanzi x 2 x 2 = 44 of 48 columns
    assert (narrow.width_scale, narrow.height_scale) == (1, 2)  # 44 > 32: double height only


def test_a_priority_tickets_tag_is_printed_with_the_title(ticket):
    plain = [block.text for block in ticket_layout(ticket, 48) if isinstance(block, TextLine)]
    assert "排队取号凭条" in plain and not any("预约" in line for line in plain)
    booked = [block for block in ticket_layout(replace(ticket, tag="预约", number="YA001"), 48)
              if isinstance(block, TextLine)]
    title = next(block for block in booked if block.text.endswith("排队取号凭条"))
    assert title.text == "【预约】排队取号凭条" and title.bold
    assert "【预约】".encode("gb18030") in open_printer("dummy:").print_ticket(replace(ticket, tag="预约"))
