"""Fixtures for the Kivy tests. These modules run only in a process of their own
(GOVHALL_KIVY_SUBPROCESS=1, started by tests/kiosk/test_kiosk_ui.py): Kivy's window is
process-global and must not meet the rest of the suite."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

if os.environ.get("GOVHALL_KIVY_SUBPROCESS") != "1":
    collect_ignore_glob = ["test_*.py"]
else:
    sys.path.append(str(Path(__file__).resolve().parent))  # kivy_harness, for the test modules
    import requests
    from werkzeug.serving import make_server

    from helpers import bearer, free_port, make_hall
    from content.demo import load_demo_content
    from content.store import ContentStore
    from queue_server import store
    from queue_server.web.app import create_app
    from queue_server.accounts import issue_staff_token, register_kiosk

    class HallServer:
        """The queue server on a fixed loopback port, so it can be stopped and come back."""

        def __init__(self, config: dict, port: int):
            self.config, self.port = config, port
            self.url = f"http://127.0.0.1:{port}"
            self.server = None

        def start(self):
            self.server = make_server("127.0.0.1", self.port, create_app(self.config), threaded=True)
            threading.Thread(target=self.server.serve_forever, daemon=True).start()
            return self

        def stop(self):
            if self.server is not None:
                self.server.shutdown()
                self.server.server_close()
                self.server = None

        def db(self):
            return store.connect(self.config["server"]["database"])

    @pytest.fixture(scope="module")
    def hall(tmp_path_factory):
        """A demo hall with demo content, served on 127.0.0.1; `hall.kiosk_token`, `hall.admin`."""
        directory = tmp_path_factory.mktemp("hall")
        port = free_port()
        config = make_hall(directory, port=port)
        with ContentStore(config["content"]["database"]) as content:
            load_demo_content(content)
        db = store.connect(config["server"]["database"])
        _, token = register_kiosk(db, "测试自助机")
        admin = issue_staff_token(db, "周管理")
        db.conn.close()
        server = HallServer(config, port).start()
        server.kiosk_token, server.admin = token, admin
        server.directory = directory
        yield server
        server.stop()

    @pytest.fixture(scope="module")
    def printer_uri():
        return "dummy:"

    @pytest.fixture(scope="module")
    def kiosk(hall, printer_uri, tmp_path_factory):
        """The real kiosk app in the offscreen window, connected to `hall`."""
        import kivy_harness as harness
        from kiosk.settings import KioskSettings

        settings = KioskSettings(server=hall.url, token=hall.kiosk_token, printer=printer_uri,
                                 cache_dir=str(tmp_path_factory.mktemp("kiosk-cache")),
                                 hall_name=hall.config["hall"]["name"], notices=hall.config["hall"]["notices"],
                                 idle_seconds=600, services_refresh_seconds=0.5, heartbeat_seconds=600,
                                 ticket_done_seconds=600)
        app = harness.start_app(settings)
        harness.wait_until(lambda: app.server_state == "ready", what="the queue server's services")
        harness.wait_until(lambda: app.content_version > 0, what="the content cache")
        yield app
        app.on_stop()

    @pytest.fixture
    def at_home(kiosk):
        """Each test starts on the home screen, in Chinese, normal type."""
        import kivy_harness as harness

        kiosk.idle_timeout()
        harness.frames(2)
        return kiosk

    def kiosks_seen_by_admin(hall) -> list[dict]:
        return requests.get(hall.url + "/api/v1/kiosks", headers=bearer(hall.admin), timeout=5).json()["kiosks"]

    pytest.kiosks_seen_by_admin = kiosks_seen_by_admin
