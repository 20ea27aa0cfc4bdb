"""What may leave the reader: masked names and numbers, an age, a keyed hash.

The ID number itself is never stored or sent; `id_number_hash` (HMAC-SHA256 with the hall's
secret) lets the server recognise the same person again without being able to list who came:
ID numbers are few enough (area × birth date × 1000) that a plain hash could be reversed by
trying them all, a keyed one cannot without the secret."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

# Two-character surnames: their bearers are masked as 欧阳** rather than 欧***.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 端木 独孤 南宫 西门"
    " 万俟 闻人 轩辕 呼延 澹台 公冶 太史 申屠 赫连 钟离 宗政 濮阳 淳于 单于 太叔 仲孙 鲜于 闾丘"
    " 东郭 百里 第五 拓跋 夹谷 宰父 谷梁 段干 公良 乐正 壤驷 漆雕 公西 巫马 左丘 东门 梁丘".split()
)

# ISO 7064 MOD 11-2 as GB 11643 applies it to the first 17 digits.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳晓晴 → 欧阳**, 乌兰其其格 → 乌****: the surname stays, the rest is starred."""
    name = name.strip()
    if len(name) <= 1:
        return name
    kept = 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:kept] + "*" * (len(name) - kept)


def mask_id_number(number: str) -> str:
    """150123195203140426 → 150123********0426: the area code and the last four stay."""
    number = number.strip()
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def age_on(birth_date: date, today: date) -> int:
    """Whole years (周岁) on `today`; a 29 February birthday comes on 1 March in other years."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


def id_number_check_character(first_17: str) -> str:
    """The 18th character of a resident ID number from the first 17 digits."""
    if len(first_17) != 17 or not first_17.isdigit():
        raise ValueError("expected the first 17 digits of an ID number")
    total = sum(int(digit) * weight for digit, weight in zip(first_17, _WEIGHTS))
    return _CHECK_CHARACTERS[total % 11]


def is_valid_id_number(number: str) -> bool:
    """18 characters, 17 digits and the right check character (X in capitals or not)."""
    number = number.strip().upper()
    return (len(number) == 18 and number[:17].isdigit()
            and id_number_check_character(number[:17]) == number[17])


def id_number_hash(number: str, secret: str | bytes) -> str:
    """HMAC-SHA256 of the number under the hall's secret, as 64 hex digits.

    A trailing x is taken as X so that a number typed by hand matches the card."""
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not secret:
        raise ValueError("id_number_hash needs the hall's secret: an unkeyed hash of an ID number can be reversed")
    return hmac.new(secret, number.strip().upper().encode("utf-8"), hashlib.sha256).hexdigest()
