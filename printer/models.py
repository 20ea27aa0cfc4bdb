"""Printer models a county hall buys, as data: the settings a `model=` URI option stands for.

Each is what the maker documents for the model line: paper width in dots, head resolution,
whether the printer has a GB18030 Chinese font (text mode) or needs the slip as a picture
(image mode), and its cutter. `escpos_profile` is the python-escpos profile with the same
command set (it decides whether the printer draws QR codes itself). Any URI option given
beside `model=` wins over the model's value. docs/printers.md lists them and how to choose."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PrinterModel:
    name: str  # the value of `model=`
    title: str  # brand and models, as on the printer's label
    width: int  # printable dots across
    dpi: int  # head resolution, dots per inch (GS P needs it in one byte: at most 255)
    mode: str  # "text": the printer has a Chinese (GB18030) font; "image": it has none
    cut: str  # "partial" | "full" | "none" (tear bar)
    escpos_profile: str  # python-escpos profile: native QR and cutter commands
    rare: str = "line"  # characters outside GBK in text mode: "line" raster lines, "slip" whole slip as image


MODELS: dict[str, PrinterModel] = {model.name: model for model in [
    PrinterModel("xprinter-80", "芯烨 Xprinter XP-80C, XP-Q200, XP-N160II (80 mm, cutter)",
                 576, 203, "text", "partial", "default"),
    PrinterModel("xprinter-58", "芯烨 Xprinter XP-58IIH, XP-58IIQ (58 mm, tear bar)",
                 384, 203, "text", "none", "POS-5890"),
    PrinterModel("gprinter-80", "佳博 Gprinter GP-80250, GP-L80160 (80 mm, cutter)",
                 576, 203, "text", "partial", "default"),
    PrinterModel("gprinter-58", "佳博 Gprinter GP-5890XIII, GP-58130 (58 mm, tear bar)",
                 384, 203, "text", "none", "POS-5890"),
    PrinterModel("hprt-80", "汉印 HPRT TP805, TP806 (80 mm, cutter)",
                 576, 203, "text", "partial", "default"),
    PrinterModel("epson-tm-t88", "爱普生 Epson TM-T88V, TM-T88VI, Chinese model with GB18030 font (80 mm, cutter)",
                 512, 180, "text", "partial", "TM-T88V"),
    PrinterModel("sunmi-58", "商米 Sunmi V2, V2s built-in printer (58 mm, tear bar)",
                 384, 203, "text", "none", "Sunmi-V2"),
    PrinterModel("sunmi-80", "商米 Sunmi T2, K2 built-in printer (80 mm, cutter)",
                 576, 203, "text", "partial", "default"),
    PrinterModel("no-chinese-font-80", "Any 80 mm ESC/POS printer without a Chinese font (export models)",
                 576, 203, "image", "partial", "default"),
    PrinterModel("no-chinese-font-58", "Any 58 mm ESC/POS printer without a Chinese font",
                 384, 203, "image", "none", "POS-5890"),
]}
