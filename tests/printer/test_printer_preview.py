"""preview://DIR and `govhall print-test`: files a person can look at, exit codes a script can trust."""

from __future__ import annotations

import shutil

import pytest
import zxingcpp
from click.testing import CliRunner
from PIL import Image

from printer import PaperOut, PrinterStatus, open_printer
from printer.testprint import SAMPLE_NUMBER, print_test
from printer.uri import resolve_printer_uri
from queue_server.ops.cli import cli


@pytest.mark.parametrize("mode", ["text", "image"])
def test_preview_writes_the_bytes_and_the_paper(tmp_path, ticket, materials, mode, artifacts):
    printer = open_printer(f"preview://{tmp_path}/tickets?mode={mode}")
    assert printer.status() is PrinterStatus.READY
    sent = printer.print_ticket(ticket)
    assert (tmp_path / "tickets" / "B027.bin").read_bytes() == sent == printer.output
    with Image.open(tmp_path / "tickets" / "B027.png") as paper:
        assert paper.mode == "1" and paper.width == 576 and paper.height > 600
        assert paper.convert("L").getextrema() == (0, 255)
        assert [code.text for code in zxingcpp.read_barcodes(paper.convert("L"))] == [ticket.status_url]
    more = printer.print_materials(materials)
    assert printer.output == sent + more
    assert (tmp_path / "tickets" / "materials-不动产登记_二手房转移.bin").read_bytes() == more
    for picture in (tmp_path / "tickets").glob("*.png"):
        shutil.copy(picture, artifacts / f"{mode}-{picture.name}")


def test_preview_can_act_out_a_fault(tmp_path, ticket):
    printer = open_printer(f"preview://{tmp_path}?status=paper_out")
    with pytest.raises(PaperOut):
        printer.print_ticket(ticket)
    assert not list(tmp_path.iterdir())


def test_print_test_on_preview_writes_files_and_exits_zero(tmp_path):
    lines: list[str] = []
    assert print_test(f"preview://{tmp_path}", echo=lines.append) == 0
    assert (tmp_path / f"{SAMPLE_NUMBER}.bin").stat().st_size > 300
    assert (tmp_path / f"{SAMPLE_NUMBER}.png").exists()
    assert any("正常" in line for line in lines)


@pytest.mark.parametrize("uri, expected_code, words", [
    ("dummy:?status=paper_out", 1, "缺纸"),
    ("dummy:?status=cover_open", 1, "纸仓盖"),
    ("dummy:?status=offline", 1, "离线"),
    ("serial:///nonexistent/ttyUSB0", 1, "找不到打印机"),
    ("laser://printer", 2, "地址写法有误"),
])
def test_print_test_on_a_faulty_printer_exits_non_zero_and_says_why(uri, expected_code, words):
    lines: list[str] = []
    assert print_test(uri, echo=lines.append) == expected_code
    assert words in "\n".join(lines)


def test_govhall_print_test_command(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["print-test", "--printer", f"preview://{tmp_path}"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / f"{SAMPLE_NUMBER}.png").exists()
    faulty = runner.invoke(cli, ["print-test", "--printer", "dummy:?status=cover_open"])
    assert faulty.exit_code == 1
    assert "纸仓盖" in faulty.output and "cover is open" in faulty.output


def test_govhall_print_test_uses_the_configured_printer_relative_to_the_config(tmp_path):
    (tmp_path / "govhall.toml").write_text('[kiosk]\nprinter = "preview://var/tickets"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "govhall.toml"), "print-test"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "var" / "tickets" / f"{SAMPLE_NUMBER}.bin").exists()


def test_relative_preview_and_file_paths_resolve_against_the_config_folder():
    assert resolve_printer_uri("preview://var/t?mode=image", "/srv/hall") == "preview:///srv/hall/var/t?mode=image"
    assert resolve_printer_uri("preview:///abs", "/srv/hall") == "preview:///abs"
    assert resolve_printer_uri("usb://0416:5011", "/srv/hall") == "usb://0416:5011"
