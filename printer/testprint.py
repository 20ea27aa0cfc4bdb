"""`govhall print-test`: put a sample ticket on a printer and say plainly how it went."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .device import open_printer
from .errors import InvalidPrinterURI, PrinterError, error_for_status
from .slips import MaterialsSlip, TicketSlip
from .status import PrinterStatus
from .transports import safe_file_name

SAMPLE_NUMBER = "A001"


def sample_ticket(issued_at: datetime | None = None) -> TicketSlip:
    """A ticket with every field filled: hanzi, Latin, digits, full-width punctuation, and one
    rare character outside GBK (䶮, U+4DAE) that a printer's own font lacks: it must still
    reach the paper (text mode sends its line as a picture)."""
    return TicketSlip(
        hall_name="和林格尔县政务服务中心",
        number=SAMPLE_NUMBER,
        service="最低生活保障申请（城乡低保）",
        department="县民政局·社会救助股",
        ahead=7,
        estimated_wait_min=25,
        windows=(3, 4),
        issued_at=issued_at or datetime.now(timezone.utc),
        status_url="http://127.0.0.1:8080/t/sample-A001",
        notices=[
            "请留意大厅屏幕和语音叫号；过号后请到原窗口登记，顺延3位办理。",
            "本号票当日有效，请勿折叠、遗失（如需帮助，请拨12345）。",
            "姓名含生僻字（如“䶮”）的，请核对证件与受理单上的姓名一致。",
        ],
    )


def sample_materials() -> MaterialsSlip:
    return MaterialsSlip(
        hall_name="和林格尔县政务服务中心",
        service="最低生活保障申请（城乡低保）",
        department="县民政局",
        materials=[
            "申请人及家庭成员居民身份证、户口簿原件及复印件（各1份）",
            "家庭收入情况说明（本人签字）",
            "银行卡或存折复印件（1份）",
        ],
        notes=["复印件请使用A4纸；代办的，另带代办人身份证。"],
        contact="0471-7212345",
    )


def print_test(uri: str, echo: Callable[[str], object] = print) -> int:
    """Print the sample ticket; the exit code is 0 only when it went to the printer."""
    try:
        printer = open_printer(uri)
    except InvalidPrinterURI as error:
        echo(error.message)
        return 2
    with printer:
        status = printer.status()
        echo(f"打印机 {uri}：{status.label}（{status.value}）")
        # No device at all is reported as offline; its error says what is really wrong.
        refusal = printer.last_error or error_for_status(uri, status)
        if not status.can_print and refusal is not None:
            echo(refusal.message)
            return 1
        if status is PrinterStatus.UNKNOWN:
            echo("注意：打印机没有回答状态查询（DLE EOT），无法确认纸张和纸仓盖。"
                 " / Note: the printer did not answer the status query; paper and cover are unchecked.")
        try:
            data = printer.print_ticket(sample_ticket())
        except PrinterError as error:
            echo(error.message)
            return 1
        echo(f"已打印样票 {SAMPLE_NUMBER}：{len(data)} 字节（{printer.config.mode} 模式，纸宽 {printer.config.width} 点）")
        for warning in printer.last_warnings:
            echo(f"警告 / Warning: {warning}")
        if printer.config.kind == "preview":
            stem = Path(printer.config.target) / safe_file_name(SAMPLE_NUMBER)
            echo(f"预览：{stem}.png  原始字节：{stem}.bin")
        if printer.last_status is PrinterStatus.PAPER_NEAR_END:
            echo("提醒：纸卷将用尽，请准备更换。 / Reminder: the paper roll is nearly empty.")
    return 0
