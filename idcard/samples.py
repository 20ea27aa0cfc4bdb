"""Invented card holders (no real person) for the simulator, the tests and anyone working on
the kiosk without a card: their numbers are checksum-valid and from 和林格尔县 (150123)."""

from __future__ import annotations

from datetime import date

from .card import IdCard

# An elderly Mongolian woman from 和林格尔县 (area code 150123), card valid for life.
ELDER = IdCard(
    name="乌兰其其格",
    sex_code="2",
    nation_code="02",
    birth_date=date(1952, 3, 14),
    address="内蒙古自治区和林格尔县城关镇青松巷7号",
    id_number="150123195203140421",
    issuer="和林格尔县公安局",
    valid_from=date(2015, 6, 20),
    valid_until=None,
)

# A man in his thirties, twenty-year card.
ADULT = IdCard(
    name="高文博",
    sex_code="1",
    nation_code="01",
    birth_date=date(1990, 11, 2),
    address="内蒙古自治区和林格尔县盛乐镇长青村二组15号",
    id_number="150123199011023173",
    issuer="和林格尔县公安局",
    valid_from=date(2018, 4, 9),
    valid_until=date(2038, 4, 9),
)

# A girl born on 29 February with a compound surname, five-year card.
LEAP_CHILD = IdCard(
    name="欧阳晓晴",
    sex_code="2",
    nation_code="01",
    birth_date=date(2008, 2, 29),
    address="内蒙古自治区和林格尔县新店子镇向阳街22号",
    id_number="150123200802290062",
    issuer="和林格尔县公安局",
    valid_from=date(2023, 3, 1),
    valid_until=date(2028, 3, 1),
)
