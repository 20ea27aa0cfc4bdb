"""The production server: gunicorn with a few gevent workers (`[server] workers`, 2 by default).

Each worker holds its share of the displays' `/stream` connections as cheap greenlets, and its own
event broker fans a commit out to them; commits of the other workers reach it through the broker's
tail of the event log (the log is the truth and its ids are the SQLite rowids, so every worker
numbers events alike). A worker that is busy, or killed and restarted by gunicorn, holds back only
its own share: the displays it held reconnect to the others within a second."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class GovhallServer(BaseApplication):
    def __init__(self, config: dict, host: str, port: int, access_log: bool = False):
        self.govhall_config = config
        self.options = {
            "bind": f"{host}:{port}",
            "workers": max(1, int(config["server"].get("workers", 2))),
            "worker_class": "gevent",
            "worker_connections": 4000,
            "timeout": 60,
            "graceful_timeout": 5,
            "keepalive": 5,
            "accesslog": "-" if access_log else None,
            "errorlog": "-",
            "loglevel": "warning",
            "proc_name": "govhall-serve",
            "worker_exit": _reap_helpers,
        }
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from ..web.app import create_app

        return create_app(self.govhall_config)


def _reap_helpers(_server, _worker):
    """A worker that exits ends its helper processes with it (they hold database connections)."""
    from .. import offload

    offload.shutdown()


def serve(config: dict, host: str | None = None, port: int | None = None, access_log: bool = False):
    host = host or config["server"]["host"]
    port = int(port if port is not None else config["server"]["port"])
    GovhallServer(config, host, port, access_log=access_log).run()
