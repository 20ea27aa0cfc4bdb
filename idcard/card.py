"""The card's text block (GA 467): 256 bytes of UCS-2 little-endian, fixed-width fields,
padded with spaces. The photo that follows it in the read answer is never decoded or kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .privacy import age_on, id_number_hash, mask_id_number, mask_name

TEXT_BLOCK_BYTES = 256
PHOTO_BYTES = 1024
LONG_TERM = "长期"  # validity end of cards issued to people aged 46 and over

# (field, bytes) in the order they sit in the text block; 36 reserved bytes end it.
TEXT_FIELDS = (
    ("name", 30),
    ("sex", 2),
    ("nation", 4),
    ("birth_date", 16),
    ("address", 70),
    ("id_number", 36),
    ("issuer", 30),
    ("valid_from", 16),
    ("valid_until", 16),
)
# Byte 248 of the block holds the card kind on newer cards: "I" is the foreigner's
# permanent residence card, whose layout differs; resident cards leave it blank.
CARD_KIND_OFFSET = 248
FOREIGNER_CARD_KIND = "I"

SEXES = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}  # GB/T 2261.1

# GB 3304: the 56 nationalities by code, and the two codes for everyone else.
NATIONS = {
    "01": "汉", "02": "蒙古", "03": "回", "04": "藏", "05": "维吾尔", "06": "苗", "07": "彝",
    "08": "壮", "09": "布依", "10": "朝鲜", "11": "满", "12": "侗", "13": "瑶", "14": "白",
    "15": "土家", "16": "哈尼", "17": "哈萨克", "18": "傣", "19": "黎", "20": "傈僳", "21": "佤",
    "22": "畲", "23": "高山", "24": "拉祜", "25": "水", "26": "东乡", "27": "纳西", "28": "景颇",
    "29": "柯尔克孜", "30": "土", "31": "达斡尔", "32": "仫佬", "33": "羌", "34": "布朗",
    "35": "撒拉", "36": "毛南", "37": "仡佬", "38": "锡伯", "39": "阿昌", "40": "普米",
    "41": "塔吉克", "42": "怒", "43": "乌孜别克", "44": "俄罗斯", "45": "鄂温克", "46": "德昂",
    "47": "保安", "48": "裕固", "49": "京", "50": "塔塔尔", "51": "独龙", "52": "鄂伦春",
    "53": "赫哲", "54": "门巴", "55": "珞巴", "56": "基诺",
    "97": "其他", "98": "外国血统中国籍人士",
}


class CardDataError(ValueError):
    """The text block does not hold what a resident ID card holds."""


@dataclass(frozen=True, repr=False)
class IdCard:
    """What a resident ID card says. Its repr is masked, so logging a card leaks nothing;
    pass `id_number` on only through `id_hash()`."""

    name: str
    sex_code: str
    nation_code: str
    birth_date: date
    address: str
    id_number: str
    issuer: str
    valid_from: date
    valid_until: date | None  # None: 长期 (no end)

    @property
    def sex(self) -> str:
        return SEXES.get(self.sex_code, "未知")

    @property
    def nation(self) -> str:
        """汉, 蒙古, ... ("" on cards that carry no nationality, such as residence permits)."""
        return NATIONS.get(self.nation_code, "")

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_number(self) -> str:
        return mask_id_number(self.id_number)

    def age_on(self, today: date) -> int:
        return age_on(self.birth_date, today)

    def id_hash(self, secret: str | bytes) -> str:
        return id_number_hash(self.id_number, secret)

    def holder(self, secret: str | bytes, today: date, green_channel_age: int) -> "CardHolder":
        """All of the card that may leave the kiosk: what a ticket carries."""
        age = self.age_on(today)
        return CardHolder(id_hash=self.id_hash(secret), masked_name=self.masked_name, age=age,
                          green_channel=age >= green_channel_age)

    def is_valid_on(self, today: date) -> bool:
        return self.valid_from <= today and (self.valid_until is None or today <= self.valid_until)

    def __repr__(self) -> str:
        return f"IdCard({self.masked_name}, {self.sex}, {self.masked_number})"


@dataclass(frozen=True)
class CardHolder:
    """The person on a card as govhall keeps them: no number, no full name, no birth date."""

    id_hash: str  # HMAC-SHA256 of the ID number under the hall's secret
    masked_name: str  # 张*
    age: int  # whole years on the hall's day
    green_channel: bool  # old enough for the 绿色通道 ([kiosk] green_channel_age)


def _date(text: str, field: str) -> date:
    if len(text) != 8 or not text.isdigit():
        raise CardDataError(f"{field} is not YYYYMMDD")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise CardDataError(f"{field} is not a calendar date") from None


def parse_text_block(block: bytes) -> IdCard:
    """An IdCard from the 256-byte text block; CardDataError when it cannot be one."""
    if len(block) != TEXT_BLOCK_BYTES:
        raise CardDataError(f"text block has {len(block)} bytes, expected {TEXT_BLOCK_BYTES}")
    kind = block[CARD_KIND_OFFSET:CARD_KIND_OFFSET + 2].decode("utf-16-le", errors="replace")
    if kind == FOREIGNER_CARD_KIND:
        raise CardDataError("a foreigner's permanent residence card: its layout is not read here")
    fields: dict[str, str] = {}
    offset = 0
    for field, size in TEXT_FIELDS:
        try:
            text = block[offset:offset + size].decode("utf-16-le")
        except UnicodeDecodeError:
            raise CardDataError(f"{field} is not UCS-2 text") from None
        fields[field] = text.rstrip(" \x00")
        offset += size
    if not fields["name"]:
        raise CardDataError("the name is empty")
    if len(fields["id_number"]) != 18:
        raise CardDataError("the ID number is not 18 characters")
    until = fields["valid_until"]
    return IdCard(
        name=fields["name"],
        sex_code=fields["sex"],
        nation_code=fields["nation"],
        birth_date=_date(fields["birth_date"], "birth date"),
        address=fields["address"],
        id_number=fields["id_number"].upper(),
        issuer=fields["issuer"],
        valid_from=_date(fields["valid_from"], "validity start"),
        valid_until=None if until == LONG_TERM else _date(until, "validity end"),
    )


def encode_text_block(card: IdCard) -> bytes:
    """The text block a card of these details carries (the simulator's side)."""
    values = {
        "name": card.name,
        "sex": card.sex_code,
        "nation": card.nation_code,
        "birth_date": card.birth_date.strftime("%Y%m%d"),
        "address": card.address,
        "id_number": card.id_number,
        "issuer": card.issuer,
        "valid_from": card.valid_from.strftime("%Y%m%d"),
        "valid_until": LONG_TERM if card.valid_until is None else card.valid_until.strftime("%Y%m%d"),
    }
    block = b""
    for field, size in TEXT_FIELDS:
        encoded = values[field].encode("utf-16-le")
        if len(encoded) > size:
            raise ValueError(f"{field} is longer than its {size // 2} characters")
        block += encoded + " ".encode("utf-16-le") * ((size - len(encoded)) // 2)
    return block + " ".encode("utf-16-le") * ((TEXT_BLOCK_BYTES - len(block)) // 2)


def parse_read_answer(data: bytes) -> IdCard:
    """The data of a successful 30 01 answer: text length (2), photo length (2), the text
    block, the photo. Only the text is looked at."""
    if len(data) < 4:
        raise CardDataError("the answer ends before the text and photo lengths")
    text_length = int.from_bytes(data[0:2], "big")
    photo_length = int.from_bytes(data[2:4], "big")
    if text_length != TEXT_BLOCK_BYTES:
        raise CardDataError(f"text length {text_length}, expected {TEXT_BLOCK_BYTES}")
    if len(data) != 4 + text_length + photo_length:
        raise CardDataError(f"the answer has {len(data) - 4} bytes after the lengths,"
                            f" they announce {text_length} + {photo_length}")
    return parse_text_block(data[4:4 + text_length])


def read_answer_data(card: IdCard, photo: bytes = bytes(PHOTO_BYTES)) -> bytes:
    """The data of a 30 01 answer for this card (the simulator's side)."""
    return (TEXT_BLOCK_BYTES.to_bytes(2, "big") + len(photo).to_bytes(2, "big")
            + encode_text_block(card) + photo)
