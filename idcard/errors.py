"""The ID card reader's errors: one root, one subclass per thing a person can act on.

Every message names the reader and says, in Chinese and then English, what happened and
what to do. The kiosk shows `message_zh`; logs and the CLI show the whole message.
No message ever carries what was read from a card."""

from __future__ import annotations


class IdCardError(Exception):
    """Root of every error the idcard package raises on purpose."""

    code = "idcard_error"
    what_zh = "身份证阅读器出错"
    what_en = "ID card reader error"
    advice_zh = "请联系工作人员检查身份证阅读器。"
    advice_en = "Ask staff to check the ID card reader."

    def __init__(self, reader: str, detail: str = ""):
        self.reader = reader
        self.detail = detail
        self.message_zh = f"{self.what_zh}（{reader}）：{self.advice_zh}"
        self.message_en = f"{self.what_en} ({reader}): {self.advice_en}"
        self.message = f"{self.message_zh}\n{self.message_en}"
        if detail:
            self.message += f"\n[{detail}]"
        super().__init__(self.message)


class InvalidReaderURI(IdCardError):
    code = "idcard_uri_invalid"
    what_zh = "身份证阅读器地址写法有误"
    what_en = "ID card reader URI is not valid"
    advice_zh = "请按 docs/idcard.md 的格式修改配置中的 kiosk.idcard。"
    advice_en = "Fix kiosk.idcard in the configuration, following docs/idcard.md."


class ReaderNotFound(IdCardError):
    code = "idcard_reader_not_found"
    what_zh = "找不到身份证阅读器"
    what_en = "ID card reader not found"
    advice_zh = "请检查阅读器的数据线是否接好、设备地址是否正确，然后重试。"
    advice_en = "Check that the reader's cable is plugged in and the device address is right, then retry."


class ReaderBusy(IdCardError):
    code = "idcard_reader_busy"
    what_zh = "身份证阅读器正被其他程序占用"
    what_en = "ID card reader is in use by another program"
    advice_zh = "取号机程序运行时会占用阅读器；请先停止取号机（或等它释放）再试。"
    advice_en = ("The kiosk app holds the reader while it runs; stop the kiosk (or wait for it)"
                 " and retry.")


class ReaderSilent(IdCardError):
    code = "idcard_reader_silent"
    what_zh = "身份证阅读器没有应答"
    what_en = "ID card reader did not answer"
    advice_zh = "请检查阅读器电源、数据线和波特率（通常为 115200），拔插数据线后重试。"
    advice_en = "Check the reader's power, cable and baud rate (usually 115200), replug the cable and retry."


class BadFrame(IdCardError):
    code = "idcard_bad_frame"
    what_zh = "身份证阅读器的应答有误（校验和或长度不对）"
    what_en = "ID card reader answered with a damaged frame (checksum or length)"
    advice_zh = "请检查数据线和波特率设置；多次出现请更换数据线或阅读器。"
    advice_en = "Check the cable and the baud rate; if it keeps happening, replace the cable or the reader."


class ReaderFault(IdCardError):
    """The reader answered with a status that blames itself (SAM module, command refused)."""

    code = "idcard_reader_fault"
    what_zh = "身份证阅读器报告故障"
    what_en = "ID card reader reports a fault"
    advice_zh = "请关闭再打开阅读器（或拔插数据线）后重试；仍不行请联系厂家检修安全模块。"
    advice_en = "Switch the reader off and on (or replug its cable) and retry; if it persists have its SAM module serviced."


class NoCard(IdCardError):
    code = "idcard_no_card"
    what_zh = "没有读到身份证"
    what_en = "No ID card was read"
    advice_zh = "请将身份证平放在阅读器感应区上，保持不动直到读卡完成。"
    advice_en = "Lay the ID card flat on the reader and keep it still until reading is done."


class CardRemoved(IdCardError):
    code = "idcard_card_removed"
    what_zh = "读卡过程中身份证被移开"
    what_en = "The ID card was removed while it was being read"
    advice_zh = "请重新放好身份证，听到提示音或看到提示前不要拿开。"
    advice_en = "Place the card again and leave it until reading is done."


class CardReadFailed(IdCardError):
    """The reader answered, but with a failure status (SAM or card trouble)."""

    code = "idcard_read_failed"
    what_zh = "身份证读取失败"
    what_en = "The ID card could not be read"
    advice_zh = "请重新放置身份证；若仍失败，可能是证件损坏或不是居民身份证，请联系工作人员。"
    advice_en = "Place the card again; if it still fails the card may be damaged or not a resident ID card — ask staff."

    def __init__(self, reader: str, detail: str = "", status: int | None = None):
        self.status = status
        super().__init__(reader, detail)
