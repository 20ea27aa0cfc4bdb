"""Second-generation resident ID card readers (二代身份证阅读器): the SAM-module protocol
(GA 467), the card's text, masking and keyed hashing of what was read, a background reader
for the kiosk and a simulator for the tests. No Kivy, no Flask. See docs/idcard.md."""

from .background import BackgroundCardReader
from .card import CardHolder, IdCard, parse_text_block
from .errors import (
    BadFrame,
    CardReadFailed,
    CardRemoved,
    IdCardError,
    InvalidReaderURI,
    NoCard,
    ReaderBusy,
    ReaderFault,
    ReaderNotFound,
    ReaderSilent,
)
from .privacy import age_on, id_number_hash, is_valid_id_number, mask_id_number, mask_name
from .reader import IdCardReader
from .uri import parse_reader_uri

__all__ = [
    "BackgroundCardReader", "CardHolder", "IdCard", "IdCardReader", "parse_text_block", "parse_reader_uri",
    "IdCardError", "InvalidReaderURI", "ReaderNotFound", "ReaderBusy", "ReaderSilent", "ReaderFault", "BadFrame",
    "NoCard", "CardRemoved", "CardReadFailed",
    "age_on", "id_number_hash", "is_valid_id_number", "mask_id_number", "mask_name",
]
