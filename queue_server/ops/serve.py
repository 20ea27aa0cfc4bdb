"""The production server: gunicorn with a few gevent workers (`[server] workers`, 2 by default).

Each worker holds its share of the displays' `/stream` connections as cheap greenlets, and its own
event broker fans a commit out to them; commits of the other workers reach it through the broker's
tail of the event log (the log is the truth and its ids are the SQLite rowids, so every worker
numbers events alike). A worker that is busy, or killed and restarted by gunicorn, holds back only
its own share: the displays it held reconnect to the others within a second.

Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads connections over
them evenly: on one shared socket whichever worker woke first took a burst of connections (all 50
kiosks of a test on one worker while the other idled). Since a second server could then share the
port unnoticed, `serve` first checks that the port is free."""

from __future__ import annotations

import errno
import socket

import click
from gunicorn.app.base import BaseApplication


class GovhallServer(BaseApplication):
    def __init__(self, config: dict, host: str, port: int, access_log: bool = False):
        self.govhall_config = config
        self.options = {
            "bind": f"{host}:{port}",
            "workers": max(1, int(config["server"].get("workers", 2))),
            "worker_class": "gevent",
            "worker_connections": 4000,
            "reuse_port": True,  # see the module's docstring
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
        import gc

        from ..web.app import create_app

        app = create_app(self.govhall_config)
        # what the worker loaded to start (modules, the app, its templates) never becomes garbage:
        # kept out of the collector's full passes, which otherwise walked it all now and then and
        # held up every request of the worker meanwhile (the issue p99 at 300 tickets/s: ~31 → ~18 ms)
        gc.freeze()
        return app


def _reap_helpers(_server, _worker):
    """A worker that exits ends its helper processes with it (they hold database connections)."""
    from .. import offload

    offload.shutdown()


def serve(config: dict, host: str | None = None, port: int | None = None, access_log: bool = False):
    host = host or config["server"]["host"]
    port = int(port if port is not None else config["server"]["port"])
    _check_port_free(host, port)
    GovhallServer(config, host, port, access_log=access_log).run()


def _check_port_free(host: str, port: int):
    """Refuse a port something already listens on (another govhall serve included: its sockets
    share the port only with sockets that ask to, and this one does not)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closed server's TIME_WAIT is no owner
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise click.ClickException(f"端口 {port} 已被占用：另一个 govhall serve 或其他程序正在使用它 "
                                           f"(port {port} is already in use)")
            raise click.ClickException(f"无法在 {host}:{port} 上监听：{error.strerror} (cannot listen: {error})")
