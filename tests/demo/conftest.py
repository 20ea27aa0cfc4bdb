"""`govhall demo` as a newcomer runs it: a real subprocess on a free port, its printed URLs,
the children it starts, and a browser-like login against it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from helpers import REPO, _die_with_parent, free_port

READY = "按 Ctrl-C 停止演示。"


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, grandchildren ...), read from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class RunningDemo:
    process: subprocess.Popen
    directory: Path
    log: Path
    url: str
    site_url: str = ""
    output: str = ""
    started_in: float = 0.0
    children: list[int] = field(default_factory=list)

    @property
    def config_path(self) -> Path:
        return self.directory / "govhall.toml"

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


def start_demo(directory: Path, timeout: float = 120) -> RunningDemo:
    port = free_port()
    log = directory.parent / f"{directory.name}.log"
    env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY", "GOVHALL_CONFIG")}
    started = time.monotonic()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "queue_server", "demo", "--no-kiosk", "--dir", str(directory), "--port", str(port)],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    demo = RunningDemo(process, directory, log, f"http://127.0.0.1:{port}")
    while time.monotonic() - started < timeout:
        demo.output = log.read_text(encoding="utf-8", errors="replace")
        if READY in demo.output:
            break
        if process.poll() is not None:
            raise RuntimeError(f"govhall demo exited with {process.returncode}:\n{demo.output}")
        time.sleep(0.1)
    else:
        demo.stop()
        raise RuntimeError(f"govhall demo not ready in {timeout} s:\n{demo.output}")
    demo.started_in = time.monotonic() - started
    site = re.search(r"县政府网站（演示）\s+(http://127\.0\.0\.1:\d+)/", demo.output)
    demo.site_url = site.group(1) if site else ""
    demo.children = descendants(process.pid)
    return demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    running = start_demo(tmp_path_factory.mktemp("demo") / "var")
    yield running
    running.stop()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def login(base: str, name: str, password: str) -> tuple[requests.Session, str]:
    """A browser-like session logged in as `name`, and its CSRF token for form posts."""
    session = requests.Session()
    page = session.get(base + "/login", timeout=30)
    response = session.post(base + "/login", data={"login": name, "password": password, "csrf_token": csrf_of(page.text)},
                            allow_redirects=False, timeout=30)
    assert response.status_code == 302, response.text
    return session, csrf_of(session.get(base + "/login", timeout=30).text)
