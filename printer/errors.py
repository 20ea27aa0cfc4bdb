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


class PrinterBusy(PrinterError):
    code = "printer_busy"
    what_zh = "打印机正被占用"
    what_en = "Printer is busy"
    advice_zh = "上一张票仍在打印或设备被其他程序占用，请稍候再试；若持续出现请重启取号机。"
    advice_en = "A previous job is still printing or another program holds the device; wait and retry, restart the kiosk if it persists."


class PrinterTimeout(PrinterError):
    code = "printer_timeout"
    what_zh = "打印机没有响应"
    what_en = "Printer did not respond in time"
    advice_zh = "请检查打印机是否卡纸、指示灯是否报警，关闭再打开打印机后重试。"
    advice_en = "Check the printer for a paper jam or a warning light, switch it off and on, then retry."


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


# The error a status that forbids printing turns into.
ERROR_FOR_STATUS = {
    PrinterStatus.PAPER_OUT: PaperOut,
    PrinterStatus.COVER_OPEN: CoverOpen,
    PrinterStatus.OFFLINE: PrinterOffline,
}


def error_for_status(device: str, status: PrinterStatus, detail: str = "") -> PrinterError | None:
    error_class = ERROR_FOR_STATUS.get(status)
    return error_class(device, detail, status) if error_class else None
