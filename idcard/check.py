"""`govhall idcard-test`: wait for one ID card and say plainly what was read, masked."""

from __future__ import annotations

from datetime import date
from typing import Callable

from .errors import CardRemoved, IdCardError, InvalidReaderURI, NoCard
from .reader import IdCardReader

EXIT_READ = 0
EXIT_READER_TROUBLE = 1  # not found, silent, damaged frames, a fault, an unreadable card
EXIT_BAD_URI = 2
EXIT_NO_CARD = 3  # nothing read in time (no card, or it was taken away too early)


def idcard_test(uri: str, timeout_s: float, today: date, green_channel_age: int = 70,
                echo: Callable[[str], object] = print) -> int:
    """Read one card from the reader at `uri`; the exit code says how it went.

    `today` is the hall's calendar day (for the age). The ID number and name are only
    ever shown masked."""
    try:
        reader = IdCardReader(uri)
    except InvalidReaderURI as error:
        echo(error.message)
        return EXIT_BAD_URI
    try:
        with reader:
            echo(f"请在 {timeout_s:g} 秒内将身份证放到阅读器上（{reader.uri}）"
                 f" / Place an ID card on the reader within {timeout_s:g} s")
            card = reader.wait_for_card(timeout_s)
    except (NoCard, CardRemoved) as error:
        echo(error.message)
        return EXIT_NO_CARD
    except IdCardError as error:
        echo(error.message)
        return EXIT_READER_TROUBLE
    age = card.age_on(today)
    green = f"（{green_channel_age} 岁及以上：绿色通道）" if age >= green_channel_age else ""
    echo(f"姓名 / Name: {card.masked_name}")
    echo(f"性别 / Sex: {card.sex}")
    echo(f"出生日期 / Birth date: {card.birth_date.isoformat()}")
    echo(f"年龄 / Age: {age} 岁{green}")
    echo(f"证件号码 / ID number: {card.masked_number}")
    if not card.is_valid_on(today):
        echo("注意：证件不在有效期内。 / Note: the card is not within its validity period.")
    return EXIT_READ
