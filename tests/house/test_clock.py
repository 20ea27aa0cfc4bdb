"""The hall's clock can be set for a whole run (GOVHALL_CLOCK), and every process agrees on it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest
import requests

from helpers import ServerProcess, free_port, make_hall
from queue_server import clock

pytestmark = pytest.mark.calendar


def test_a_set_clock_starts_at_its_instant_and_runs_on():
    setting = clock.anchored_clock_setting("2026-12-31T23:59:58+08:00")
    try:
        clock.set_clock(setting)
        assert clock.local_today("Asia/Shanghai") == "2026-12-31"
        assert abs((clock.utc_now() - datetime(2026, 12, 31, 15, 59, 58, tzinfo=timezone.utc)).total_seconds()) < 2
    finally:
        clock.set_clock(os.environ.get(clock.CLOCK_VARIABLE))


def test_an_instant_without_a_zone_is_refused():
    with pytest.raises(ValueError, match="needs a zone"):
        clock.set_clock("2026-12-31T23:59:58")


def test_a_served_hall_numbers_tickets_on_the_day_of_the_set_clock(tmp_path):
    """The server, a separate process, takes its day from the same pinned clock as the test."""
    port = free_port()
    make_hall(tmp_path, port=port)
    setting = clock.anchored_clock_setting("2027-01-01T00:00:30+08:00")
    os.environ[clock.CLOCK_VARIABLE], saved = setting, os.environ.get(clock.CLOCK_VARIABLE)
    server = ServerProcess(tmp_path / "govhall.toml", port)
    try:
        server.start()
        answer = requests.get(server.url + "/api/v1/services", timeout=10).json()
        assert answer["local_day"] == "2027-01-01"
    finally:
        server.stop()
        if saved is None:
            os.environ.pop(clock.CLOCK_VARIABLE)
        else:
            os.environ[clock.CLOCK_VARIABLE] = saved


def test_the_command_reads_the_clock_from_its_environment(tmp_path):
    env = dict(os.environ, **{clock.CLOCK_VARIABLE: "2030-06-15T09:00:00+08:00"})
    out = subprocess.run([sys.executable, "-c", "from queue_server import clock; print(clock.local_today('Asia/Shanghai'))"],
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert out == "2030-06-15"
