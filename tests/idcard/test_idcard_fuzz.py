"""Whatever bytes a reader sends, the parsers answer with their own errors, never a crash."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from idcard.card import CardDataError, IdCard, parse_read_answer, parse_text_block
from idcard.privacy import mask_id_number, mask_name
from idcard.protocol import PREAMBLE, FrameError, parse_response, response_frame


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=64), st.sampled_from([b"", PREAMBLE]))
def test_any_bytes_are_a_response_or_a_frame_error(data, prefix):
    try:
        response = parse_response(prefix + data)
    except FrameError as error:
        assert error.reason
    else:
        assert response_frame(response.status, response.data, response.sw1, response.sw2) == prefix + data


@settings(max_examples=150, deadline=None)
@given(st.binary(min_size=256, max_size=256))
def test_any_text_block_is_a_card_or_a_card_data_error(block):
    try:
        card = parse_text_block(block)
    except CardDataError:
        return
    assert isinstance(card, IdCard) and len(card.id_number) == 18


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=600))
def test_any_read_answer_is_a_card_or_a_card_data_error(data):
    try:
        parse_read_answer(data)
    except CardDataError:
        pass


@given(st.text(min_size=2, max_size=20).filter(lambda name: name.strip() == name and "*" not in name))
def test_a_masked_name_shows_at_most_its_surname(name):
    masked = mask_name(name)
    assert len(masked) == len(name)
    kept = len(masked.rstrip("*"))
    assert kept in (1, 2) and masked[:kept] == name[:kept]


@given(st.from_regex(r"[0-9]{17}[0-9X]", fullmatch=True))
def test_a_masked_number_shows_only_its_area_and_last_four(number):
    masked = mask_id_number(number)
    assert masked == number[:6] + "*" * 8 + number[-4:]
