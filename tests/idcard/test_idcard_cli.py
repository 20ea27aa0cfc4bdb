"""`govhall idcard-test` against the simulated reader: what it prints and its exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from idcard.samples import ADULT, ELDER
from queue_server import clock
from queue_server.ops.cli import cli


@pytest.fixture
def config_file(tmp_path, simulator) -> Path:
    path = tmp_path / "govhall.toml"
    path.write_text(f'''
[hall]
timezone = "Asia/Shanghai"
[server]
database = "govhall.db"
[kiosk]
idcard = "{simulator.uri}"
green_channel_age = 70
''', encoding="utf-8")
    return path


def at(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr(clock, "utc_now", lambda: moment)


def run(config_file: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config_file), "idcard-test", *args])


def test_a_card_is_read_and_shown_masked(config_file, simulator, monkeypatch):
    at(monkeypatch, datetime(2026, 11, 30, 4, 0, tzinfo=timezone.utc))
    simulator.place(ELDER)
    result = run(config_file, "--timeout", "5")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "姓名 / Name: 乌****" in lines
    assert "性别 / Sex: 女" in lines
    assert "出生日期 / Birth date: 1952-03-14" in lines
    assert "年龄 / Age: 74 岁（70 岁及以上：绿色通道）" in lines
    assert "证件号码 / ID number: 150123********0421" in lines
    # nothing in clear: not the number, not the name, not the address
    assert ELDER.id_number not in result.output and "乌兰" not in result.output and "青松巷" not in result.output


def test_the_age_is_counted_on_the_hall_s_day_not_utc(config_file, simulator, monkeypatch):
    # 16:30 UTC on 13 March is already 00:30 on 14 March in 和林格尔: her 70th birthday
    at(monkeypatch, datetime(2022, 3, 13, 16, 30, tzinfo=timezone.utc))
    simulator.place(ELDER)
    result = run(config_file, "--timeout", "5")
    assert "年龄 / Age: 70 岁（70 岁及以上：绿色通道）" in result.output.splitlines()
    at(monkeypatch, datetime(2022, 3, 13, 15, 30, tzinfo=timezone.utc))
    result = run(config_file, "--timeout", "5")
    assert "年龄 / Age: 69 岁" in result.output.splitlines()


def test_an_expired_card_is_pointed_out(config_file, simulator, monkeypatch):
    at(monkeypatch, datetime(2038, 5, 1, 4, 0, tzinfo=timezone.utc))
    simulator.place(ADULT)
    result = run(config_file, "--timeout", "5")
    assert result.exit_code == 0
    assert "年龄 / Age: 47 岁" in result.output.splitlines() and "不在有效期内" in result.output


def test_no_card_in_time_exits_3(config_file, simulator):
    result = run(config_file, "--timeout", "0.6")
    assert result.exit_code == 3
    assert "没有读到身份证" in result.output and "No ID card was read" in result.output


def test_a_card_removed_while_read_and_not_put_back_exits_3(config_file, simulator):
    simulator.place(ELDER)
    simulator.remove_during_read = True
    result = run(config_file, "--timeout", "0.8")
    assert result.exit_code == 3
    assert "读卡过程中身份证被移开" in result.output


def test_a_silent_reader_exits_1(config_file, simulator):
    simulator.silent = True
    result = run(config_file, "--timeout", "10")
    assert result.exit_code == 1
    assert "身份证阅读器没有应答" in result.output and "baud rate" in result.output


def test_a_bad_checksum_exits_1(config_file, simulator):
    simulator.bad_checksum = True
    result = run(config_file, "--timeout", "10")
    assert result.exit_code == 1
    assert "校验和或长度不对" in result.output and "checksum" in result.output


def test_a_missing_reader_exits_1(config_file, tmp_path):
    result = run(config_file, "--reader", f"serial://{tmp_path}/ttyUSB5", "--timeout", "1")
    assert result.exit_code == 1 and "找不到身份证阅读器" in result.output


def test_a_bad_uri_or_none_at_all_is_a_usage_error(config_file, tmp_path):
    result = run(config_file, "--reader", "bluetooth://reader")
    assert result.exit_code == 2 and "地址写法有误" in result.output
    bare = tmp_path / "bare.toml"
    bare.write_text("[server]\ndatabase = 'x.db'\n", encoding="utf-8")
    result = run(bare)
    assert result.exit_code == 2 and "[kiosk] idcard" in result.output


def test_the_installed_command_end_to_end(config_file, simulator):
    """The real `govhall` script in its own process, reader named by the environment, on the
    hall's day set by GOVHALL_CLOCK: 高文博's 36th birthday, just after midnight in 和林格尔."""
    govhall = Path(sys.executable).parent / "govhall"
    env = {**os.environ, "GOVHALL_CONFIG": str(config_file), "GOVHALL_KIOSK_IDCARD": simulator.uri,
           clock.CLOCK_VARIABLE: clock.anchored_clock_setting("2026-11-02T00:00:30+08:00")}
    no_card = subprocess.run([str(govhall), "idcard-test", "--timeout", "0.5"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert no_card.returncode == 3, no_card.stdout + no_card.stderr
    simulator.place(ADULT)
    read = subprocess.run([str(govhall), "idcard-test", "--timeout", "5"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert read.returncode == 0, read.stdout + read.stderr
    lines = read.stdout.splitlines()
    assert "年龄 / Age: 36 岁" in lines
    assert "姓名 / Name: 高**" in lines and "证件号码 / ID number: 150123********3173" in lines
