"""`govhall demo`: a demo hall in var/, the server, the kiosk with a preview printer, and
the URL of every page. Each part of govhall adds its own set-up step to `SETUP_STEPS`.

The demo stands on its own, offline: a month of past hall history is replayed through the
queue domain (statistics, ranking and 差评 cases have something to show), and a small county
website (content/demo/site/) is served on 127.0.0.1 beside the server, so the admin's
"立即同步" button and `govhall sync` have a site to read."""

from __future__ import annotations

import functools
import http.server
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import click

from content.demo import DEMO_DIR

from .. import clock, store
from ..accounts import register_evaluator, register_kiosk, set_password
from ..config import load_config
from ..hall import load_hall

DEMO_PASSWORD = "demo1234"
DEMO_KIOSK_PIN = "2468"
DEMO_CONTENT = DEMO_DIR  # content/demo: the demo hall, its content and its website
DEMO_HALL = DEMO_CONTENT / "hall.toml"
DEMO_SITE_DIR = DEMO_CONTENT / "site"          # the demo county website, static files
DEMO_SITE_TOML = DEMO_CONTENT / "site.toml"    # its description, written for the address it is served at
DEMO_SITE_ORIGIN = "http://127.0.0.1:8081"     # the address site.toml is written for
HISTORY_WORKING_DAYS = 30

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
site = "site.toml"
"""


def write_demo_config(demo_dir: Path, port: int, site_url: str = DEMO_SITE_ORIGIN) -> Path:
    """Create var/ with the demo hall: database, staff passwords, a kiosk and its token, and the
    description of the demo website served at `site_url`. The hall keeps its real opening hours
    until the set-up steps have run (the history needs them); the last step opens it all day."""
    demo_dir.mkdir(parents=True, exist_ok=True)
    config_path = demo_dir / "govhall.toml"
    config_path.write_text(CONFIG_TEMPLATE.format(port=port, token="", pin=DEMO_KIOSK_PIN), encoding="utf-8")
    write_site_description(demo_dir / "site.toml", site_url)
    config = load_config(config_path, environ={})
    db = store.connect(config["server"]["database"])
    store.migrate(db)
    load_hall(db, DEMO_HALL)
    for person in store.list_staff(db):
        set_password(db, person["name"], DEMO_PASSWORD)
    _, token = register_kiosk(db, "大厅1号自助机")
    db.conn.close()
    config_path.write_text(CONFIG_TEMPLATE.format(port=port, token=token, pin=DEMO_KIOSK_PIN), encoding="utf-8")
    return config_path


def write_site_description(path: Path, site_url: str) -> Path:
    """content/demo/site.toml, pointed at the address the demo website really has."""
    text = DEMO_SITE_TOML.read_text(encoding="utf-8").replace(DEMO_SITE_ORIGIN, site_url.rstrip("/"))
    path.write_text(text, encoding="utf-8")
    return path


class _QuietSiteHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # the sync's requests would drown the URLs in the terminal
        pass


class DemoWebsite:
    """content/demo/site/ served on 127.0.0.1 by a threaded http.server inside the demo process,
    standing in for the county website. It answers conditional GETs (Last-Modified) as a real
    site's web server does, so a second sync finds every page unchanged."""

    def __init__(self, directory: Path = DEMO_SITE_DIR):
        self.directory = directory
        self.server = None

    def start(self, port: int) -> "DemoWebsite":
        handler = functools.partial(_QuietSiteHandler, directory=str(self.directory))
        try:
            self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError:  # the port beside the server is taken: any free one will do
            self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="govhall-demo-website", daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()


def _setup_content(config):
    from content.demo import load_demo_content
    from content.store import ContentStore

    load_demo_content(ContentStore(config["content"]["database"]))


def _setup_voice(config):
    from ..voice import build_default_pack

    build_default_pack(config)


def _setup_history(config):
    """Needs the hall's real opening hours: runs before `_setup_open_all_day`."""
    from .demo_history import make_history

    db = store.connect(config["server"]["database"])
    try:
        summary = make_history(db, config, working_days=HISTORY_WORKING_DAYS)
    finally:
        db.conn.close()
    return summary.text() if summary.days else "数据库中已有号票，未再添加"


def _setup_website_sync(config):
    from content import ContentError
    from content.store import ContentStore
    from content.sync import sync_site

    try:
        with ContentStore(config["content"]["database"]) as content_store:
            report = sync_site(content_store, config["content"]["site"])
    except ContentError as error:
        return f"未能同步：{error.message}"
    failed = "；".join(f"{item['message']} {item['url']}" for item in report.failed)
    return (f"{report.site}：新增 {len(report.new)}，更新 {len(report.changed)}，未变 {report.unchanged}，"
            f"失败 {len(report.failed)}" + (f"（{failed}）" if failed else ""))


def _setup_open_all_day(config):
    db = store.connect(config["server"]["database"])
    store.open_all_day(db)  # so the demo can be tried at any hour; real halls keep their hours
    db.conn.close()


# (what, function(config) -> optional detail); a step whose part is not installed yet is reported
# and skipped
SETUP_STEPS = [
    (f"过去 {HISTORY_WORKING_DAYS} 个工作日的办件历史", _setup_history),
    ("政务公开与办事指南演示内容", _setup_content),
    ("语音包（espeak-ng 离线生成）", _setup_voice),
    ("从演示县政府网站同步政务公开", _setup_website_sync),
    ("所有事项全天可取号（演示用）", _setup_open_all_day),
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


def issue_evaluator_keys(config) -> dict[int, str]:
    """A fresh evaluator token per window, so the printed links work on a tablet as they are;
    the previous run's are revoked rather than left to pile up."""
    db = store.connect(config["server"]["database"])
    try:
        store.revoke_tokens(db, "evaluator", clock.to_iso(clock.utc_now()))
        return {window["number"]: register_evaluator(db, window["number"]) for window in store.list_windows(db)}
    finally:
        db.conn.close()


def print_urls(config, evaluator_keys: dict[int, str], echo=click.echo, website_url: str | None = None,
               config_path: Path | None = None):
    base = config["server"]["public_url"].rstrip("/")
    db = store.connect(config["server"]["database"])
    windows = store.list_windows(db)
    people = store.list_staff(db)
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
    echo(f"  统计 / 差评回访      {base}/admin/stats   {base}/admin/followup")
    echo(f"  网站同步（立即同步） {base}/admin/content/sync")
    if website_url:
        echo(f"  县政府网站（演示）   {website_url}/   （同步来源：{website_url}/zwgk/index.html）")
    echo(f"  API 说明             {base}/api/v1/openapi.json")
    echo("")
    echo(f"  演示账号（密码均为 {DEMO_PASSWORD}）：")
    for person in people:
        echo(f"    {person['name']}  工号 {person['employee_no']}  {'管理员' if person['role'] == 'admin' else '窗口人员'}")
    echo(f"  自助机退出：长按屏幕左上角 3 秒，输入 PIN {DEMO_KIOSK_PIN}")
    echo("")
    if config_path:
        echo(f"  配置文件 {config_path}；其他命令请带上它，例如：")
        echo(f"    GOVHALL_CONFIG={config_path} .venv/bin/govhall staff token 王丽")
        echo("")


def _die_with_the_demo():
    """A `preexec_fn` for the children: a demo killed outright (SIGKILL) takes its server and
    kiosk with it (Linux PR_SET_PDEATHSIG). prctl is looked up here, before the fork, so the
    child only calls it."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    return lambda: prctl(1, signal.SIGTERM)


def run_demo(demo_dir: Path, port: int = 8080, kiosk: bool = True):
    # SIGTERM (systemd, a test, `kill`) stops the demo like Ctrl-C: children are stopped below
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    die_with_the_demo = _die_with_the_demo()
    website = DemoWebsite().start(port + 1)
    children = []
    try:
        config_path = write_demo_config(demo_dir, port, site_url=website.url)
        config = load_config(config_path, environ={})
        click.echo(f"正在准备演示大厅：{demo_dir}")
        for what, step in SETUP_STEPS:
            click.echo(f"  …{what}", nl=False)
            try:
                detail = step(config)
                click.echo(f"\r已准备：{what}" + (f"（{detail}）" if detail else ""))
            except ImportError as error:
                click.echo(f"\r跳过：{what}（尚未安装：{error.name}）")
        env = dict(os.environ, GOVHALL_CONFIG=str(config_path))
        govhall = [sys.executable, "-m", "queue_server"]
        server = subprocess.Popen([*govhall, "serve"], env=env, preexec_fn=die_with_the_demo)
        children.append(server)
        if not _wait_healthy(config["server"]["public_url"], server):
            raise click.ClickException(f"服务未能启动（端口 {port} 是否被占用？）")
        print_urls(config, issue_evaluator_keys(config), website_url=website.url, config_path=config_path)
        if kiosk:
            if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
                children.append(subprocess.Popen([*govhall, "kiosk"], env=env, preexec_fn=die_with_the_demo))
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
        website.stop()
