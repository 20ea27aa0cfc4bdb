"""Shared fixtures: a hall database under tmp_path, the app on Flask's test client and the
command on Click's runner (no socket), and a real HTTP server on 127.0.0.1 where one is needed
(streams, concurrency, Chromium, the kiosk). The helpers behind them are in helpers.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import LiveServer, ServerProcess, free_port, make_hall
from queue_server import clock, store
from queue_server.accounts import issue_staff_token, register_evaluator, register_kiosk
from queue_server.ops.cli import cli
from queue_server.web.app import create_app

# A clock set for the whole run (GOVHALL_CLOCK=2026-12-31T23:50:00+08:00) is pinned to the real time
# now, so this process and every server it starts read the same instant.
if os.environ.get(clock.CLOCK_VARIABLE) and "@" not in os.environ[clock.CLOCK_VARIABLE]:
    os.environ[clock.CLOCK_VARIABLE] = clock.anchored_clock_setting(os.environ[clock.CLOCK_VARIABLE])
    clock.set_clock(os.environ[clock.CLOCK_VARIABLE])


@pytest.fixture
def hall_config(tmp_path) -> dict:
    return make_hall(tmp_path)


@pytest.fixture
def hall_db(hall_config):
    db = store.connect(hall_config["server"]["database"])
    yield db
    db.conn.close()


@pytest.fixture
def live_server(hall_config):
    server = LiveServer(hall_config)
    yield server
    server.stop()


@pytest.fixture
def tokens(hall_config) -> dict:
    """Bearer tokens: a kiosk, the staff of windows 1 and 2, an admin, the evaluators of windows 1 and 2."""
    db = store.connect(hall_config["server"]["database"])
    kiosk_id, kiosk = register_kiosk(db, "测试自助机")
    result = {"kiosk": kiosk, "kiosk_id": kiosk_id,
              "staff1": issue_staff_token(db, "王丽"), "staff2": issue_staff_token(db, "赵建国"),
              "admin": issue_staff_token(db, "周管理"),
              "evaluator1": register_evaluator(db, 1), "evaluator2": register_evaluator(db, 2)}
    db.conn.close()
    return result


@pytest.fixture
def served_hall(tmp_path):
    """A demo hall served by the production server (`govhall serve`) on a free port."""
    port = free_port()
    config = make_hall(tmp_path, port=port)
    server = ServerProcess(tmp_path / "govhall.toml", port).start()
    server.config = config
    yield server
    server.stop()


@pytest.fixture
def app(hall_config):
    """The app over a fresh demo hall, for Flask's test client."""
    app = create_app(hall_config)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(hall_config):
    """Click's runner with `--config` of the fresh demo hall: `runner.invoke(["staff", "token", "王丽"])`."""
    config_path = str(Path(hall_config["_base_dir"]) / "govhall.toml")

    class HallRunner(CliRunner):
        def invoke(self, args, **kwargs):
            return super().invoke(cli, ["--config", config_path, *args], catch_exceptions=False, **kwargs)

    return HallRunner()
