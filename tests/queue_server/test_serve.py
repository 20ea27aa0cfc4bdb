"""`govhall serve` as it runs in a hall: its workers share the connections, and a port that is
already taken is refused with a clear message instead of being shared with another server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ServerProcess, free_port, make_hall

CONNECTIONS = 60


def worker_pids(master_pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master_pid:  # the parent's pid
                found.append(int(entry.name))
    return found


def socket_inodes(port: int, state: str) -> set[str]:
    """Inodes of the TCP sockets whose local port is `port`, in `state` ("01" established, "0A"
    listening), from /proc/net/tcp."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
            inodes.add(fields[9])
    return inodes


def connections_held_by(pid: int, inodes: set[str]) -> int:
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            held += 1
    return held


def serve(config_path: Path, port: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "queue_server", "serve", "--port", str(port)],
                          env=dict(os.environ, GOVHALL_CONFIG=str(config_path)), capture_output=True, text=True, check=False,
                          timeout=60)


@pytest.fixture
def server(tmp_path):
    port = free_port()
    make_hall(tmp_path, port=port)
    running = ServerProcess(tmp_path / "govhall.toml", port).start()
    yield running
    running.stop()


def test_the_workers_share_a_burst_of_connections(server):
    """60 kiosks connecting at once land on both workers, not all on whichever woke first."""
    workers = worker_pids(server.process.pid)
    assert len(workers) == 2
    deadline = time.monotonic() + 30
    while len(socket_inodes(server.port, "0A")) < 2:  # each worker listens once it has booted
        assert time.monotonic() < deadline, "the second worker never listened"
        time.sleep(0.1)
    clients = []
    try:
        while time.monotonic() < deadline and len(clients) < CONNECTIONS:
            client = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            client.sendall(b"GET /api/v1/healthz HTTP/1.1\r\nHost: hall\r\n\r\n")
            clients.append(client)
        for client in clients:
            assert client.recv(12).startswith(b"HTTP/1.1")  # answered: accepted by a worker
        inodes = socket_inodes(server.port, "01")
        held = [connections_held_by(pid, inodes) for pid in workers]
    finally:
        for client in clients:
            client.close()
    assert sum(held) == CONNECTIONS
    # spread by the kernel's hash: fewer than 10 of 60 on one worker happens once in millions of runs
    assert min(held) >= 10, held


def test_a_second_server_on_the_same_port_is_refused(server, tmp_path):
    result = serve(tmp_path / "govhall.toml", server.port)
    assert result.returncode != 0
    assert f"端口 {server.port} 已被占用" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_port_another_program_listens_on_is_refused(tmp_path):
    port = free_port()
    make_hall(tmp_path, port=port)
    with socket.socket() as other:
        other.bind(("127.0.0.1", port))
        other.listen()
        result = serve(tmp_path / "govhall.toml", port)
    assert result.returncode != 0
    assert "已被占用" in result.stderr and "already in use" in result.stderr
