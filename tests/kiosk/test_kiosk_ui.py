"""The Kivy tests (tests/kiosk/ui/), each module in a process of its own: Kivy's window
and clock belong to the whole process, and the window's size is fixed when it opens."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UI = Path(__file__).resolve().parent / "ui"

RUNS = [
    ("test_ticket_flow.py", "1280x800"),
    ("test_checkin.py", "1280x800"),
    ("test_offline.py", "1280x800"),
    ("test_kiosk_mode.py", "1280x800"),
    ("test_screens.py", "1080x1920"),
    ("test_screens.py", "1920x1080"),
    ("test_screens.py", "1280x800"),
]


# a module walks up to 60 screens in its window: minutes on a busy 2-core machine
@pytest.mark.timeout(960)
@pytest.mark.parametrize("module,size", RUNS, ids=[f"{m[5:-3]}-{s}" for m, s in RUNS])
def test_kivy_module(module, size, tmp_path):
    env = dict(os.environ, GOVHALL_KIVY_SUBPROCESS="1", GOVHALL_KIOSK_SIZE=size, KIVY_HOME=str(tmp_path / "kivy"))
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "run"),
         str(UI / module)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    report = result.stdout[-8000:] + "\n" + result.stderr[-4000:]
    assert result.returncode == 0, report
    assert " passed" in result.stdout and "failed" not in result.stdout, report
