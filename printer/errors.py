"""The printer's errors: one root, one subclass per thing a person can act on.

Every message names the device and says, in Chinese and then English, what happened and
what to do. The kiosk shows `message_zh`; logs and the CLI show the whole message."""

from __future__ import annotations

from .status import PrinterStatus


class PrinterError(Exception):
    """Root of every error the printer package raises on purpose."""

    code = "printer_error"
    status = PrinterStatus.UNKNOWN
    what_zh = "打印机出错"
    what_en = "Printer error"
    advice_zh = "请联系工作人员检查打印机。"
    advice_en = "Ask staff to check the printer."

    def __init__(self, device: str, detail: str = "", status: PrinterStatus | None = None):
        self.device = device
        self.detail = detail
        if status is not None:
            self.status = status
        self.message_zh = f"{self.what_zh}（{device}）：{self.advice_zh}"
        self.message_en = f"{self.what_en} ({device}): {self.advice_en}"
        self.message = f"{self.message_zh}\n{self.message_en}"
        if detail:
            self.message += f"\n[{detail}]"
        super().__init__(self.message)


class InvalidPrinterURI(PrinterError):
    code = "printer_uri_invalid"
    what_zh = "打印机地址写法有误"
    what_en = "Printer URI is not valid"
    advice_zh = "请按 docs/printers.md 的格式修改配置中的 kiosk.printer。"
    advice_en = "Fix kiosk.printer in the configuration, following docs/printers.md."


class PrinterNotFound(PrinterError):
    code = "printer_not_found"
    status = PrinterStatus.OFFLINE
    what_zh = "找不到打印机"
    what_en = "Printer not found"
    advice_zh = "请检查打印机电源和数据线是否接好、设备地址是否正确，然后重试。"
    advice_en = "Check that the printer is switched on, its cable is plugged in and the device address is right, then retry."


class PrinterLost(PrinterNotFound):
    """The printer was there and went away mid-job, and one reconnection did not bring it back."""

    code = "printer_lost"
    what_zh = "与打印机的连接中断，重连后仍未恢复"
    what_en = "Lost the connection to the printer and it did not come back"
    advice_zh = "请检查打印机是否断电重启、数据线或网线是否松动；恢复后重新打印这张票。"
    advice_en = ("Check whether the printer was switched off or restarted and whether its cable came loose; "
                 "print the ticket again once it is back.")


class PrinterBusy(PrinterError):
    """Another program holds the device (a serial port locked, a USB interface claimed)."""

    code = "printer_busy"
    what_zh = "打印机正被其他程序占用"
    what_en = "Printer is held by another program"
    advice_zh = "请关闭占用该打印机的其他程序（如 CUPS 或另一个取号程序），然后重试；若不清楚是哪个程序，请重启取号机。"
    advice_en = ("Close the other program using this printer (CUPS, another kiosk process) and retry; "
                 "restart the kiosk if you cannot tell which one it is.")


class PrinterTimeout(PrinterError):
    code = "printer_timeout"
    what_zh = "打印机没有响应"
    what_en = "Printer did not respond in time"
    advice_zh = "请检查打印机是否卡纸、指示灯是否报警，关闭再打开打印机后重试。"
    advice_en = "Check the printer for a paper jam or a warning light, switch it off and on, then retry."


class JobInProgress(PrinterTimeout):
    """This printer's own previous job still holds it (not another program: that is PrinterBusy)."""

    code = "printer_job_in_progress"
    what_zh = "上一张票仍在打印"
    what_en = "The previous slip is still printing"
    advice_zh = "请稍候再试；若持续出现，请检查打印机是否卡纸。"
    advice_en = "Wait a moment and retry; if it persists, check the printer for a paper jam."


class PrinterNotTakingData(PrinterTimeout):
    """The device is open but the bytes of the slip do not leave: a write ran out of time."""

    code = "printer_not_taking_data"
    what_zh = "打印机不接收数据"
    what_en = "Printer is not taking data"
    advice_zh = "打印机已连接但不再接收数据：请检查是否卡纸、缺纸或出错灯亮，按进纸键或关闭再打开打印机后重试。"
    advice_en = ("The printer is connected but is not taking data: check for a paper jam, an empty roll or "
                 "an error light, press FEED or switch it off and on, then retry.")


class PrinterOffline(PrinterError):
    code = "printer_offline"
    status = PrinterStatus.OFFLINE
    what_zh = "打印机离线或故障"
    what_en = "Printer is offline or reports a fault"
    advice_zh = "请检查切刀是否卡纸、打印头是否过热，处理后按进纸键或重启打印机。"
    advice_en = "Check the cutter for jammed paper and let the print head cool, then press FEED or restart the printer."


class PaperOut(PrinterError):
    code = "printer_paper_out"
    status = PrinterStatus.PAPER_OUT
    what_zh = "打印机缺纸"
    what_en = "Printer is out of paper"
    advice_zh = "请工作人员装入新的热敏纸卷（光面朝向打印头），合上纸仓盖。"
    advice_en = "Staff should load a new thermal paper roll (coated side to the print head) and close the cover."


class CoverOpen(PrinterError):
    code = "printer_cover_open"
    status = PrinterStatus.COVER_OPEN
    what_zh = "打印机纸仓盖未关好"
    what_en = "Printer cover is open"
    advice_zh = "请按下纸仓盖直到听到“咔嗒”声。"
    advice_en = "Press the paper cover shut until it clicks."


class NoChineseFont(PrinterError):
    code = "printer_no_font"
    what_zh = "找不到中文字体，无法以图像方式打印"
    what_en = "No Chinese font found for image-mode printing"
    advice_zh = "请安装 fonts-wqy-microhei 或 fonts-noto-cjk 字体包。"
    advice_en = "Install the fonts-wqy-microhei or fonts-noto-cjk package."


class UnprintableText(PrinterError):
    """Text that cannot be put on paper at all (a lone surrogate from a broken encoder)."""

    code = "printer_unprintable_text"
    what_zh = "票据内容含有无法打印的字符"
    what_en = "The slip contains characters that cannot be printed"
    advice_zh = "请联系管理员检查事项名称等内容中的乱码字符。"
    advice_en = "Ask the administrator to fix the garbled character in the service name or other text."


# The error a status that forbids printing turns into.
ERROR_FOR_STATUS = {
    PrinterStatus.PAPER_OUT: PaperOut,
    PrinterStatus.COVER_OPEN: CoverOpen,
    PrinterStatus.OFFLINE: PrinterOffline,
}


def error_for_status(device: str, status: PrinterStatus, detail: str = "") -> PrinterError | None:
    error_class = ERROR_FOR_STATUS.get(status)
    return error_class(device, detail, status) if error_class else None
