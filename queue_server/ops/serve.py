"""The production server: gunicorn with one gevent worker.

One process holds every display's `/stream` connection as a cheap greenlet, and the
in-process event broker fans a commit out to all of them."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class GovhallServer(BaseApplication):
    def __init__(self, config: dict, host: str, port: int, access_log: bool = False):
        self.govhall_config = config
        self.options = {
            "bind": f"{host}:{port}",
            "workers": 1,  # the event fan-out is in process: one worker holds every subscriber
            "worker_class": "gevent",
            "worker_connections": 4000,
            "timeout": 60,
            "graceful_timeout": 5,
            "keepalive": 5,
            "accesslog": "-" if access_log else None,
            "errorlog": "-",
            "loglevel": "warning",
            "proc_name": "govhall-serve",
        }
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from ..web.app import create_app

        return create_app(self.govhall_config)


def serve(config: dict, host: str | None = None, port: int | None = None, access_log: bool = False):
    host = host or config["server"]["host"]
    port = int(port if port is not None else config["server"]["port"])
    GovhallServer(config, host, port, access_log=access_log).run()
