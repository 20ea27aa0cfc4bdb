"""The card's text block, and what may be shown of it: masks, age, the keyed hash."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import fields, replace
from datetime import date

import pytest
from idcard.samples import ADULT, ELDER, LEAP_CHILD

from idcard.card import (
    NATIONS,
    CardHolder,
    IdCard,
    CardDataError,
    encode_text_block,
    parse_read_answer,
    parse_text_block,
    read_answer_data,
)
from idcard.privacy import (
    age_on,
    id_number_check_character,
    id_number_hash,
    is_valid_id_number,
    mask_id_number,
    mask_name,
)


def test_fields_sit_at_their_published_offsets():
    block = encode_text_block(ELDER)
    assert len(block) == 256
    assert block[0:10].decode("utf-16-le") == "乌兰其其格"
    assert block[10:30] == " ".encode("utf-16-le") * 10  # the name is padded with spaces
    assert block[30:32].decode("utf-16-le") == "2"
    assert block[32:36].decode("utf-16-le") == "02"
    assert block[36:52].decode("utf-16-le") == "19520314"
    assert block[52:122].decode("utf-16-le").rstrip() == ELDER.address
    assert block[122:158].decode("utf-16-le") == "150123195203140421"
    assert block[158:188].decode("utf-16-le").rstrip() == "和林格尔县公安局"
    assert block[188:204].decode("utf-16-le") == "20150620"
    assert block[204:208].decode("utf-16-le") == "长期"


@pytest.mark.parametrize("card", [ELDER, ADULT, LEAP_CHILD])
def test_a_text_block_reads_back_as_the_card_it_came_from(card):
    read = parse_text_block(encode_text_block(card))
    assert read == card
    assert read.id_number == card.id_number and read.name == card.name


def test_sex_nation_and_validity_read_as_words():
    elder = parse_text_block(encode_text_block(ELDER))
    assert (elder.sex, elder.nation, elder.valid_until) == ("女", "蒙古", None)
    adult = parse_text_block(encode_text_block(ADULT))
    assert (adult.sex, adult.nation, adult.valid_until) == ("男", "汉", date(2038, 4, 9))
    assert len([code for code in NATIONS if code.isdigit() and int(code) <= 56]) == 56
    assert NATIONS["56"] == "基诺" and NATIONS["10"] == "朝鲜"


def test_a_lowercase_x_on_the_card_reads_as_capital():
    number = "15012319700101001"
    card = replace(ADULT, id_number=number + "x")
    assert parse_text_block(encode_text_block(card)).id_number == number + "X"


def test_validity_on_a_given_day():
    assert ADULT.is_valid_on(date(2038, 4, 9)) and not ADULT.is_valid_on(date(2038, 4, 10))
    assert ELDER.is_valid_on(date(2090, 1, 1)) and not ELDER.is_valid_on(date(2015, 6, 19))


@pytest.mark.parametrize("spoil, words", [
    (lambda block: block[:200], "200 bytes"),
    (lambda block: block[:36] + "1952-3-1".encode("utf-16-le") + block[52:], "birth date"),
    (lambda block: block[:36] + "19520231".encode("utf-16-le") + block[52:], "calendar date"),
    (lambda block: block[:204] + "20351340".encode("utf-16-le") + block[220:], "validity end"),
    (lambda block: " ".encode("utf-16-le") * 15 + block[30:], "name is empty"),
    (lambda block: block[:122] + "15012319".encode("utf-16-le") + " ".encode("utf-16-le") * 10 + block[158:],
     "18 characters"),
    (lambda block: block[:248] + "I".encode("utf-16-le") + block[250:], "foreigner"),
    (lambda block: b"\x00\xd8" + block[2:], "UCS-2"),  # a lone surrogate
])
def test_a_text_block_that_is_not_a_resident_card_is_refused(spoil, words):
    with pytest.raises(CardDataError) as raised:
        parse_text_block(spoil(encode_text_block(ELDER)))
    assert words in str(raised.value)


def test_the_read_answer_carries_text_and_photo_lengths():
    data = read_answer_data(ADULT)
    assert data[:4] == b"\x01\x00\x04\x00" and len(data) == 4 + 256 + 1024
    assert parse_read_answer(data) == ADULT
    with pytest.raises(CardDataError, match="announce"):
        parse_read_answer(data[:-10])
    with pytest.raises(CardDataError, match="text length"):
        parse_read_answer(b"\x00\xff" + data[2:])
    with pytest.raises(CardDataError, match="ends before"):
        parse_read_answer(b"\x01")


def test_a_card_printed_or_logged_shows_only_masked_details():
    shown = repr(ELDER) + str(ELDER) + f"{ELDER}"
    assert "乌****" in shown and "150123********0421" in shown
    assert "150123195203140421" not in shown and "乌兰其其格" not in shown and "青松巷" not in shown


@pytest.mark.parametrize("name, masked", [
    ("张三", "张*"),
    ("高文博", "高**"),
    ("欧阳晓晴", "欧阳**"),
    ("司马光明", "司马**"),
    ("欧阳", "欧*"),  # two characters: a surname alone would say too much
    ("乌兰其其格", "乌****"),
    ("李", "李"),
    (" 王丽 ", "王*"),
])
def test_mask_name_keeps_only_the_surname(name, masked):
    assert mask_name(name) == masked


def test_mask_id_number_keeps_the_area_code_and_the_last_four():
    assert mask_id_number("150123195203140421") == "150123********0421"
    assert mask_id_number("15012319901102317X") == "150123********317X"
    assert mask_id_number("1234567890") == "**********"


@pytest.mark.parametrize("birth, today, age", [
    (date(1952, 3, 14), date(2022, 3, 13), 69),
    (date(1952, 3, 14), date(2022, 3, 14), 70),  # 70 on the birthday itself
    (date(1952, 3, 14), date(2026, 11, 30), 74),
    (date(2008, 2, 29), date(2026, 2, 28), 17),  # no 29 February: the birthday is 1 March
    (date(2008, 2, 29), date(2026, 3, 1), 18),
    (date(2008, 2, 29), date(2028, 2, 29), 20),
])
def test_age_counts_whole_years_on_the_given_day(birth, today, age):
    assert age_on(birth, today) == age


def test_check_character_follows_iso_7064_mod_11_2():
    # worked by hand: the weighted sum of 15012319520314042 is 209, 209 mod 11 = 0 → "1"
    assert id_number_check_character("15012319520314042") == "1"
    assert id_number_check_character("11010519491231002") == "X"
    assert is_valid_id_number(ELDER.id_number) and is_valid_id_number(ADULT.id_number)
    assert is_valid_id_number("11010519491231002x")
    assert not is_valid_id_number("150123195203140422")  # one digit off
    assert not is_valid_id_number("15012319520314042")  # too short
    assert not is_valid_id_number("1501231952031404A1")
    with pytest.raises(ValueError):
        id_number_check_character("1501231952")


def test_id_hash_is_keyed_and_never_the_number():
    digest = id_number_hash(ELDER.id_number, "hall secret")
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert ELDER.id_number not in digest
    assert digest == ELDER.id_hash("hall secret") == ELDER.id_hash(b"hall secret")
    assert digest != hashlib.sha256(ELDER.id_number.encode()).hexdigest()  # not an unkeyed hash
    assert digest == hmac.new(b"hall secret", ELDER.id_number.encode(), hashlib.sha256).hexdigest()
    assert id_number_hash(ELDER.id_number, "another hall") != digest
    assert id_number_hash(ADULT.id_number, "hall secret") != digest
    assert id_number_hash("11010519491231002x", "k") == id_number_hash("11010519491231002X ", "k")
    with pytest.raises(ValueError, match="secret"):
        id_number_hash(ELDER.id_number, "")


def test_the_photo_is_skipped_not_kept():
    photo = bytes(range(256)) * 4  # whatever the photo holds, nothing of it is parsed or kept
    assert parse_read_answer(read_answer_data(ELDER, photo)) == ELDER
    assert not any("photo" in field.name for field in fields(IdCard))


def test_the_holder_is_all_that_leaves_the_kiosk():
    holder = ELDER.holder("hall secret", date(2026, 11, 30), green_channel_age=70)
    assert holder == CardHolder(id_hash=id_number_hash(ELDER.id_number, "hall secret"), masked_name="乌****",
                                age=74, green_channel=True)
    assert ELDER.holder("hall secret", date(2022, 3, 13), 70).green_channel is False  # 69 the day before
    assert ELDER.holder("hall secret", date(2022, 3, 14), 70).green_channel is True
    assert ADULT.holder("hall secret", date(2026, 11, 30), 70).green_channel is False
    assert ADULT.holder("hall secret", date(2026, 11, 30), 36).green_channel is True  # the age is the hall's
    shown = repr(holder)
    assert ELDER.id_number not in shown and ELDER.name not in shown and "1952" not in shown
