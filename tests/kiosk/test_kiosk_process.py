"""`govhall kiosk` as systemd runs it: a process that stops within 2 s of SIGTERM or SIGINT,
even with a network call hanging, and logs at INFO without library chatter.

The kiosk runs in a real window (offscreen: DISPLAY unset), against a queue server that
accepts connections and never answers — the worst case for a clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOVHALL = [sys.executable, "-m", "queue_server"]  # the `govhall` console script


@pytest.fixture
def silent_server():
    """Accepts TCP connections (the kernel's backlog) and never reads or answers them."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def start_kiosk(tmp_path: Path, server: str, *options: str) -> subprocess.Popen:
    config = tmp_path / "govhall.toml"
    config.write_text(f'[kiosk]\nserver = "{server}"\ntoken = "t"\nprinter = "dummy:"\n'
                      f'cache_dir = "{tmp_path / "cache"}"\nadmin_pin = "482913"\n', encoding="utf-8")
    env = dict(os.environ, KIVY_HOME=str(tmp_path / "kivy"), PYTHONUNBUFFERED="1")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("KIVY_LOG_MODE", None)
    return subprocess.Popen([*GOVHALL, "--config", str(config), "kiosk", *options], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def read_until(process: subprocess.Popen, marker: str, timeout: float = 60) -> list[str]:
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    process.kill()
    raise AssertionError(f"no {marker!r} in the kiosk's output:\n" + "\n".join(lines[-40:]))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_kiosk_within_two_seconds(tmp_path, silent_server, signum):
    process = start_kiosk(tmp_path, silent_server, "--windowed", "1080x1920")
    try:
        started = read_until(process, "kiosk running")
        time.sleep(1.0)  # the first services poll and heartbeat are now hanging on the silent server
        sent = time.monotonic()
        process.send_signal(signum)
        process.wait(timeout=10)
        stopped_after = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    rest = process.stdout.read().splitlines()
    output = started + rest
    assert stopped_after <= 2.0, f"{signum.name}: still running {stopped_after:.2f} s later\n" + "\n".join(output)
    assert process.returncode == 0, output
    assert any(f"{signum.name} received" in line for line in output), output
    # INFO by default: the app's own lines, none of urllib3's or Kivy's DEBUG chatter
    assert any(line.startswith("INFO kiosk") for line in output), output
    assert not [line for line in output if line.startswith("DEBUG")], output
    assert any("window 1080x1920" in line for line in output), output


def test_log_level_warning_keeps_the_journal_quiet(tmp_path, silent_server):
    process = start_kiosk(tmp_path, silent_server, "--windowed", "1280x800", "--log-level", "warning")
    try:
        time.sleep(6)
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=10)[0].splitlines()
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert not [line for line in output if line.startswith(("INFO", "DEBUG"))], output
    assert any("admin_pin" in line for line in output) is False  # the PIN is set: no warning about it


@pytest.mark.parametrize("options,message", [
    (["--windowed", "big"], "宽x高"),
    (["--windowed", "1080x1920", "--fullscreen"], "只能选一个"),
    (["--log-level", "loud"], "loud"),
])
def test_bad_flags_are_refused_clearly(tmp_path, options, message):
    result = subprocess.run([*GOVHALL, "kiosk", *options], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and message in result.stderr, result.stderr
