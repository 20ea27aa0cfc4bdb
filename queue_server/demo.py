"""`govhall demo`: a demo hall in var/, the server, the kiosk with a preview printer, and
the URL of every page. Each part of govhall adds its own set-up step to `SETUP_STEPS`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click

from . import store
from .auth import register_evaluator, register_kiosk, set_password
from .config import load_config
from .hall import load_hall

DEMO_PASSWORD = "demo1234"
DEMO_KIOSK_PIN = "2468"
DEMO_HALL = Path(__file__).resolve().parent.parent / "content" / "demo" / "hall.toml"

CONFIG_TEMPLATE = """\
# govhall 演示配置（由 govhall demo 生成；路径相对于本文件）
[hall]
name = "和林格尔县政务服务中心"
timezone = "Asia/Shanghai"

[server]
database = "govhall.db"
host = "127.0.0.1"
port = {port}
public_url = "http://127.0.0.1:{port}"
voice_dir = "voice"

[kiosk]
server = "http://127.0.0.1:{port}"
token = "{token}"
printer = "preview://tickets"
cache_dir = "kiosk"
admin_pin = "{pin}"

[content]
database = "content.db"
"""


def write_demo_config(demo_dir: Path, port: int) -> Path:
    """Create var/ with the demo hall: database, staff passwords, a kiosk and its token."""
    demo_dir.mkdir(parents=True, exist_ok=True)
    config_path = demo_dir / "govhall.toml"
    config_path.write_text(CONFIG_TEMPLATE.format(port=port, token="", pin=DEMO_KIOSK_PIN), encoding="utf-8")
    config = load_config(config_path, environ={})
    db = store.connect(config["server"]["database"])
    store.migrate(db)
    load_hall(db, DEMO_HALL)
    for person in store.list_staff(db):
        set_password(db, person["name"], DEMO_PASSWORD)
    store.open_all_day(db)  # so the demo can be tried at any hour; real halls keep their hours
    _, token = register_kiosk(db, "大厅1号自助机")
    db.conn.close()
    config_path.write_text(CONFIG_TEMPLATE.format(port=port, token=token, pin=DEMO_KIOSK_PIN), encoding="utf-8")
    return config_path


def _setup_content(config):
    from content.demo import load_demo_content
    from content.store import ContentStore

    load_demo_content(ContentStore(config["content"]["database"]))


def _setup_voice(config):
    from .voice import build_default_pack

    build_default_pack(config)


# (what, function(config)); a step whose part is not installed yet is reported and skipped
SETUP_STEPS = [
    ("政务公开与办事指南演示内容", _setup_content),
    ("语音包（espeak-ng 离线生成）", _setup_voice),
]


def _wait_healthy(url: str, process, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url + "/api/v1/healthz", timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def print_urls(config, echo=click.echo):
    base = config["server"]["public_url"].rstrip("/")
    db = store.connect(config["server"]["database"])
    windows = store.list_windows(db)
    people = store.list_staff(db)
    # a fresh evaluator token per window, so the printed links work on a tablet as they are
    evaluator_keys = {window["number"]: register_evaluator(db, window["number"]) for window in windows}
    db.conn.close()
    echo("")
    echo(f"== {config['hall']['name']}（演示） ==")
    echo(f"  首页（所有页面）     {base}/")
    echo(f"  综合屏               {base}/display")
    echo(f"  综合屏（语音播报）   {base}/display?audio=1")
    for window in windows:
        echo(f"  {window['number']:>2}号窗口屏 / 评价器  {base}/display/window/{window['number']}   {base}/evaluate/{window['number']}?key={evaluator_keys[window['number']]}")
    echo(f"  窗口工作台           {base}/staff")
    echo(f"  管理后台             {base}/admin")
    echo(f"  API 说明             {base}/api/v1/openapi.json")
    echo("")
    echo(f"  演示账号（密码均为 {DEMO_PASSWORD}）：")
    for person in people:
        echo(f"    {person['name']}  工号 {person['employee_no']}  {'管理员' if person['role'] == 'admin' else '窗口人员'}")
    echo(f"  自助机退出：长按屏幕左上角 3 秒，输入 PIN {DEMO_KIOSK_PIN}")
    echo("")


def run_demo(demo_dir: Path, port: int = 8080, kiosk: bool = True):
    config_path = write_demo_config(demo_dir, port)
    config = load_config(config_path, environ={})
    for what, step in SETUP_STEPS:
        try:
            step(config)
            click.echo(f"已准备：{what}")
        except ImportError as error:
            click.echo(f"跳过：{what}（尚未安装：{error.name}）")
    env = dict(os.environ, GOVHALL_CONFIG=str(config_path))
    govhall = [sys.executable, "-m", "queue_server.cli"]
    server = subprocess.Popen([*govhall, "serve"], env=env)
    children = [server]
    try:
        if not _wait_healthy(config["server"]["public_url"], server):
            raise click.ClickException(f"服务未能启动（端口 {port} 是否被占用？）")
        print_urls(config)
        if kiosk:
            if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
                children.append(subprocess.Popen([*govhall, "kiosk"], env=env))
                click.echo(f"自助机已打开；号票预览（PNG 与原始字节）写入 {demo_dir / 'tickets'}")
            else:
                click.echo("没有图形显示（DISPLAY 未设置），自助机未打开；有屏幕时运行：")
                click.echo(f"  GOVHALL_CONFIG={config_path} .venv/bin/govhall kiosk")
        click.echo("按 Ctrl-C 停止演示。")
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
