"""The `govhall` command and the configuration rules."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from helpers import DEMO_HALL, write_config
from queue_server import store
from queue_server.accounts import principal_from_token
from queue_server.ops.cli import cli
from queue_server.config import load_config


def test_env_overrides_toml_and_paths_are_relative_to_the_file(tmp_path):
    path = write_config(tmp_path, port=9000)
    config = load_config(path, environ={"GOVHALL_SERVER_PORT": "9100", "GOVHALL_QUEUE_REQUEUE_AFTER": "5",
                                        "GOVHALL_HALL_NAME": "某某县政务服务中心"})
    assert config["server"]["port"] == 9100 and config["queue"]["requeue_after"] == 5
    assert config["hall"]["name"] == "某某县政务服务中心"
    assert config["server"]["database"] == str(tmp_path / "govhall.db")
    assert config["hall"]["timezone"] == "Asia/Shanghai"


def test_init_load_hall_accounts_and_tokens(tmp_path):
    path = write_config(tmp_path)
    runner = CliRunner()
    base = ["--config", str(path)]
    assert runner.invoke(cli, [*base, "init"]).exit_code == 0
    loaded = runner.invoke(cli, [*base, "load-hall", str(DEMO_HALL)])
    assert loaded.exit_code == 0 and "事项 22 个" in loaded.output
    # loading twice updates by name, adds nothing twice
    assert runner.invoke(cli, [*base, "load-hall", str(DEMO_HALL)]).exit_code == 0
    added = runner.invoke(cli, [*base, "staff", "add", "新同事", "--role", "admin", "--password", "pass1234",
                                "--employee-no", "HL777"])
    assert added.exit_code == 0, added.output
    token = runner.invoke(cli, [*base, "staff", "token", "新同事"]).output.strip()
    kiosk = runner.invoke(cli, [*base, "kiosk", "register", "二楼自助机"]).output.splitlines()[0]
    bad = runner.invoke(cli, [*base, "staff", "token", "查无此人"])
    assert bad.exit_code == 2 and "没有人员" in bad.output
    db = store.connect(tmp_path / "govhall.db")
    assert db.execute("SELECT count(*) FROM service").fetchone()[0] == 22
    assert db.execute("SELECT count(*) FROM window").fetchone()[0] == 10
    assert principal_from_token(db, token).is_admin
    assert principal_from_token(db, kiosk).kind == "kiosk"
    # tokens are stored hashed only
    assert db.execute("SELECT count(*) FROM api_token WHERE token_hash = ?", [token]).fetchone()[0] == 0


def test_a_broken_hall_file_is_refused_with_the_reason(tmp_path):
    path = write_config(tmp_path)
    hall = tmp_path / "bad.toml"
    hall.write_text('[[department]]\nname = "某局"\n[[department.service]]\nname = "某事"\nprefix = "Z"\n'
                    'category = "行政审批"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path), "load-hall", str(hall)])
    assert result.exit_code == 2 and "行政审批" in result.output


GOOD_SERVICE = '[[department]]\nname = "某局"\n[[department.service]]\nname = "某事"\nprefix = "Z"\n'


@pytest.mark.parametrize("text, says", [
    ("[[department]]\nname = ", "不是有效的 TOML"),
    ("[[department]]\nfoo = 1\n", "不认识的键 foo"),
    ("[[department]]\n", "缺少 name"),
    ('[[department]]\nname = "某局"\n[[department.service]]\nname = "某事"\n', "缺少 prefix"),
    (GOOD_SERVICE.replace('"Z"', '"ABC"'), "prefix 须为 1 到 2 个大写字母"),
    (GOOD_SERVICE + 'daily_cap = "many"\n', "daily_cap 应为整数"),
    (GOOD_SERVICE + "daily_cap = -5\n", "daily_cap 须为 0"),
    (GOOD_SERVICE + "daily_cap = 99999999999\n", "daily_cap 须为 0"),
    (GOOD_SERVICE + 'categroy = "咨询"\n', "不认识的键 categroy"),
    (GOOD_SERVICE + 'hours = "08:30-12:00"\n', "hours 应为列表"),
    (GOOD_SERVICE + 'hours = ["8点到12点"]\n', "无法识别的办理时段"),
    (GOOD_SERVICE + GOOD_SERVICE.split("\n", 2)[2], "重复出现"),
    ('[[window]]\nnumber = "one"\nname = "x"\n', "number 应为整数"),
    ('department = "x"\n', "应写成 [[department]]"),
    ('[[staff]]\nname = "甲"\nemployee_no = "X1"\n[[staff]]\nname = "乙"\nemployee_no = "X1"\n', "工号重复"),
    ('[[holiday]]\ndate = "明天"\n', "YYYY-MM-DD"),
    ('[[window]]\nnumber = 1\nname = "x"\nservices = ["不存在的事项"]\n', "未在任何部门下定义"),
])
def test_hall_file_mistakes_are_reported_and_change_nothing(tmp_path, text, says):
    path = write_config(tmp_path)
    hall = tmp_path / "hall.toml"
    hall.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path), "load-hall", str(hall)])
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output
    db = store.connect(tmp_path / "govhall.db")
    assert db.execute("SELECT count(*) FROM department").fetchone()[0] == 0


@pytest.mark.parametrize("args, env, says", [
    (["--config", "/nonexistent/govhall.toml", "init"], {}, "找不到配置文件"),
    (["init"], {"GOVHALL_SERVER_PORT": "abc"}, "GOVHALL_SERVER_PORT"),
])
def test_config_mistakes_are_reported_without_a_traceback(tmp_path, args, env, says):
    result = CliRunner().invoke(cli, args, env={"GOVHALL_CONFIG": "", **env})
    assert result.exit_code == 2 and says in result.output, result.output


def test_a_malformed_config_file_is_reported(tmp_path):
    bad = tmp_path / "govhall.toml"
    bad.write_text("[server\nport = 1\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(bad), "init"])
    assert result.exit_code == 2 and "不是有效的 TOML" in result.output
