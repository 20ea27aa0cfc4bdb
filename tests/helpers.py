"""Helpers the tests share: a demo hall under a folder, bearer headers, free ports, the app served
in a thread (`LiveServer`) and the production server as a subprocess (`ServerProcess`).
Test modules import these by name (`from helpers import make_hall`); fixtures are in conftest.py."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from werkzeug.serving import make_server

from queue_server import store
from queue_server.config import load_config
from queue_server.hall import load_hall
from queue_server.web.app import create_app

REPO = Path(__file__).resolve().parent.parent
DEMO_HALL = REPO / "content" / "demo" / "hall.toml"
ARTIFACTS = Path(os.environ.get("GOVHALL_ARTIFACTS", "/tmp/govhall-artifacts"))


def write_config(directory: Path, port: int = 8080, extra: str = "") -> Path:
    path = directory / "govhall.toml"
    path.write_text(f"""
[server]
database = "govhall.db"
public_url = "http://127.0.0.1:{port}"
port = {port}
voice_dir = "voice"
[kiosk]
cache_dir = "kiosk"
printer = "dummy:"
[content]
database = "content.db"
{extra}
""", encoding="utf-8")
    return path


def make_hall(directory: Path, all_day: bool = True, port: int = 8080) -> dict:
    """A demo hall database in `directory`; returns the config dict."""
    config = load_config(write_config(directory, port), environ={})
    db = store.connect(config["server"]["database"])
    store.migrate(db)
    load_hall(db, DEMO_HALL)
    if all_day:
        store.open_all_day(db)
    db.conn.close()
    return config


class LiveServer:
    """create_app served by werkzeug on 127.0.0.1, port 0, in a thread."""

    def __init__(self, config: dict):
        self.config = config
        self.app = create_app(config)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent():
    """A test server must not outlive a test run that was killed (PR_SET_PDEATHSIG)."""
    import ctypes
    import signal

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


class ServerProcess:
    """`govhall serve` (gunicorn + gevent) as a real subprocess."""

    def __init__(self, config_path: Path, port: int):
        self.config_path, self.port = config_path, port
        self.url = f"http://127.0.0.1:{port}"
        self.process = None

    def start(self, timeout: float = 60):
        """Start and wait until healthy. gunicorn listens before its gevent worker has booted,
        so on a busy machine the first answers can take seconds: wait them out."""
        env = dict(os.environ, GOVHALL_CONFIG=str(self.config_path))
        self.process = subprocess.Popen([sys.executable, "-m", "queue_server", "serve", "--port", str(self.port)],
                                        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()}")
            try:
                if requests.get(self.url + "/api/v1/healthz", timeout=5).status_code == 200:
                    return self
            except requests.RequestException:  # refused while starting, or slow on a loaded machine
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not become healthy")

    def kill(self, sig=9):
        """SIGKILL the whole server (gunicorn master and its worker)."""
        children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout.split()
        os.kill(self.process.pid, sig)
        for child in children:
            try:
                os.kill(int(child), sig)
            except ProcessLookupError:
                pass
        self.process.wait(10)
        # wait until the port is free again
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.05)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


class ClientAnswer:
    """A Flask test-client response with the face of a `requests` one (`.json()`, `.text`), so one
    test helper can speak to the app in-process or to a live server."""

    def __init__(self, response):
        self.response = response
        self.status_code = response.status_code
        self.headers = response.headers

    def json(self):
        return self.response.get_json()

    @property
    def text(self) -> str:
        return self.response.get_data(as_text=True)


def call_api(target, method: str, path: str, headers: dict, **kw):
    """`method` on `path` of a live server (`target.url`) or of Flask's test client."""
    if hasattr(target, "url"):
        return requests.request(method, target.url + path, headers=headers, timeout=10, **kw)
    if "params" in kw:
        kw["query_string"] = kw.pop("params")
    return ClientAnswer(target.open(path, method=method, headers=headers, **kw))


def run_kivy_module(module: str, size: str, tmp_path: Path):
    """One module of tests/kiosk/ui/ in a Python process of its own (Kivy's window and clock belong
    to the whole process, and the window's size is fixed when it opens), in a window of `size`."""
    env = dict(os.environ, GOVHALL_KIVY_SUBPROCESS="1", GOVHALL_KIOSK_SIZE=size, KIVY_HOME=str(tmp_path / "kivy"))
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "run"),
         str(REPO / "tests" / "kiosk" / "ui" / module)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    report = result.stdout[-8000:] + "\n" + result.stderr[-4000:]
    assert result.returncode == 0, report
    assert " passed" in result.stdout and "failed" not in result.stdout, report


def signed_in_client(app, staff_name: str):
    """Flask's test client holding the login session of `staff_name`, as after /login (the session
    carries the account's generation, as flask-login stores it), and the page CSRF token in
    `client.csrf`. No password is hashed: quick enough for tests that sweep many requests."""
    db = store.connect(app.config["GOVHALL"]["server"]["database"])
    staff = store.find_staff_login(db, staff_name)
    db.conn.close()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{staff['id']}:{staff['session_generation']}"
        session["_fresh"] = True
    page = client.get("/login").get_data(as_text=True)
    client.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    return client
