"""The live path does not wait for anything else: a write lock held by another process, work handed
to helper processes, several server workers tailing one event log, a worker killed under load.
Each on the real server (`govhall serve`: gunicorn + gevent) and a real second process; how fast
it stays is measured by tests/bench/bench_mixed.py, here only what must hold."""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from helpers import ServerProcess, bearer, free_port, make_hall
from PIL import Image

from queue_server import offload, store
from queue_server.accounts import issue_staff_token, register_kiosk
from queue_server.errors import BadRequest
from queue_server.events import STAFF, WAKE_BURST, WAKE_INTERVAL, EventBroker, format_sse, sse_chunk
from queue_server.web.api import http_chunk


def served(tmp_path, monkeypatch, workers: int) -> ServerProcess:
    monkeypatch.setenv("GOVHALL_SERVER_WORKERS", str(workers))
    port = free_port()
    config = make_hall(tmp_path, port=port)
    db = store.connect(config["server"]["database"])
    kiosk_id, kiosk = register_kiosk(db, "一号自助机")
    staff = issue_staff_token(db, "王丽")
    db.conn.close()
    server = ServerProcess(tmp_path / "govhall.toml", port).start()
    server.config, server.kiosk, server.kiosk_id, server.staff = config, kiosk, kiosk_id, staff
    return server


def worker_pids(server: ServerProcess) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def issue(server, service_id=1) -> requests.Response:
    return requests.post(server.url + "/api/v1/tickets", json={"service_id": service_id},
                         headers=bearer(server.kiosk), timeout=30)


class LockHolder:
    """The `sqlite3` shell in another process, holding the hall database's write lock."""

    def __init__(self, database: str):
        self.process = subprocess.Popen(["sqlite3", database], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, bufsize=1)
        self.process.stdin.write("BEGIN EXCLUSIVE;\nINSERT INTO hall_day VALUES ('2099-01-01', 'holiday', '');\n"
                                 ".print locked\n")
        assert self.process.stdout.readline().strip() == "locked"

    def release(self):
        self.process.stdin.write("ROLLBACK;\n.quit\n")
        self.process.stdin.close()
        self.process.wait(10)


def test_a_write_lock_held_by_another_process_does_not_stop_the_readers(tmp_path, monkeypatch):
    server = served(tmp_path, monkeypatch, workers=1)  # one worker: the waiting write and the reads share it
    try:
        assert issue(server).status_code == 201
        lock = LockHolder(server.config["server"]["database"])
        waiting_write = {}
        writer = threading.Thread(target=lambda: waiting_write.setdefault("response", issue(server)))
        writer.start()
        time.sleep(0.5)  # the write is now waiting for the lock inside the worker
        assert writer.is_alive()
        for path in ("/api/v1/display", "/api/v1/services", "/api/v1/display"):
            answer = requests.get(server.url + path, timeout=5)  # would hang until the lock went, before
            assert answer.status_code == 200
        assert requests.get(server.url + "/api/v1/display", timeout=5).json()["waiting"]
        assert writer.is_alive(), "the write must still be waiting while the readers were answered"
        lock.release()
        writer.join(15)
        assert waiting_write["response"].status_code == 201
        assert waiting_write["response"].json()["number"].endswith("002")
    finally:
        server.stop()


def test_a_lock_held_past_the_busy_timeout_is_a_clear_503_and_nothing_is_lost(tmp_path, monkeypatch):
    server = served(tmp_path, monkeypatch, workers=1)
    try:
        lock = LockHolder(server.config["server"]["database"])
        started = time.monotonic()
        answer = issue(server)  # the server's own timeout (10 s) runs out
        assert answer.status_code == 503
        assert answer.json()["error"] == "database_unavailable" and "数据库" in answer.json()["message"]
        assert time.monotonic() - started >= 5
        lock.release()
        assert issue(server).json()["number"].endswith("001")  # the refused ticket took no number
    finally:
        server.stop()


def test_every_worker_sees_every_event_in_order_and_a_killed_worker_loses_none(tmp_path, monkeypatch):
    """Two workers, each its own broker: a stream on either gets the events written through the other,
    in order, with no gap; after kill -9 of a worker its displays reconnect (Last-Event-ID) and miss nothing."""
    server = served(tmp_path, monkeypatch, workers=2)
    try:
        assert len(worker_pids(server)) == 2
        first = issue(server).json()["event_id"]
        seen: list[int] = []
        last = [first]

        def follow():
            while len(seen) < 40:
                try:
                    with requests.get(server.url + "/api/v1/stream", headers={"Last-Event-ID": str(last[0])},
                                      stream=True, timeout=10) as stream:
                        for line in stream.iter_lines():
                            if line.startswith(b"id: "):
                                seen.append(int(line[4:]))
                                last[0] = seen[-1]
                                if len(seen) >= 40:
                                    return
                except requests.RequestException:
                    time.sleep(0.2)  # the worker went: reconnect, as a display does

        followers = [threading.Thread(target=follow) for _ in range(1)]
        for thread in followers:
            thread.start()
        issued = []
        for n in range(40):
            if n == 15:
                os.kill(worker_pids(server)[0], signal.SIGKILL)
            for _ in range(20):
                try:
                    answer = issue(server)
                except requests.ConnectionError:  # the killed worker's keep-alive or accept
                    time.sleep(0.1)
                    continue
                if answer.status_code == 201:
                    issued.append(answer.json()["event_id"])
                    break
        for thread in followers:
            thread.join(30)
        assert len(issued) == 40
        assert seen == list(range(first + 1, first + 41)), "every event once, in order"
        assert seen == issued
        time.sleep(1)
        assert len(worker_pids(server)) == 2  # gunicorn started a new one
    finally:
        server.stop()


class RawStream:
    """A display's `/api/v1/stream` read from a plain socket, as it comes (chunked encoding and all)."""

    def __init__(self, server, last_id: int, token: str | None = None):
        self.sock = socket.socket()
        self.sock.settimeout(30)
        self.sock.connect(("127.0.0.1", server.port))
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        self.sock.sendall(f"GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nLast-Event-ID: {last_id}\r\n{auth}\r\n".encode())
        self.received = b""

    def read_until(self, event_id: int) -> list[int]:
        while f"id: {event_id}\n".encode() not in self.received:
            chunk = self.sock.recv(65536)
            assert chunk, "the stream ended"
            self.received += chunk
        self.sock.close()
        return event_ids(self.received)


def event_ids(received: bytes) -> list[int]:
    return [int(n) for n in re.findall(rb"^id: (\d+)$", received, re.M)]


def test_many_streams_of_each_audience_get_every_event_in_order(tmp_path, monkeypatch):
    """Two workers, screens and staff on both, kiosks issuing flat out: the workers' writers serve the
    caught-up streams, a round encoded once per audience. Staff see every event once, in order;
    screens the public ones, and for a last event they may not see a `hidden` one with its id."""
    server = served(tmp_path, monkeypatch, workers=2)
    try:
        first = issue(server).json()["event_id"]
        screens = [RawStream(server, first) for _ in range(12)]
        staff = [RawStream(server, first, token=server.staff) for _ in range(12)]
        time.sleep(0.5)  # every stream connected and caught up
        issued: list[int] = []

        def kiosk():
            for _ in range(20):
                issued.append(issue(server).json()["event_id"])

        kiosks = [threading.Thread(target=kiosk) for _ in range(6)]
        for thread in kiosks:
            thread.start()
        for thread in kiosks:
            thread.join(60)
        help_call = requests.post(f"{server.url}/api/v1/kiosks/{server.kiosk_id}/help", headers=bearer(server.kiosk), timeout=10)
        last = help_call.json()["event_id"]  # staff-only: the screens' last event is a `hidden` one
        assert len(issued) == 120
        everything = list(range(first + 1, last + 1))
        for stream in staff:
            assert stream.read_until(last) == everything
        for stream in screens:
            assert stream.read_until(last) == sorted(issued) + [last]
    finally:
        server.stop()


def test_a_parked_socket_that_cannot_take_a_round_is_given_back_with_the_rest(tmp_path):
    """The broker's writer never waits for a slow screen: what its socket cannot take goes back to
    the subscriber's own greenlet (here a thread) to send; a closed one is given back as closed."""
    database = make_hall(tmp_path)["server"]["database"]
    broker = EventBroker(lambda: store.connect(database))
    server_end, screen_end = socket.socketpair()
    server_end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    screen_end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    server_end.setblocking(False)
    start = broker.last_id

    def parked_until_given_back(last_id) -> dict:
        outcome = {}
        thread = threading.Thread(target=lambda: outcome.setdefault(
            "parked", broker.park(server_end.fileno(), STAFF, last_id, http_chunk, 15)))
        thread.start()
        while not broker._parked:
            time.sleep(0.01)
        outcome["thread"] = thread
        return outcome

    def append_events(count: int):
        db = store.connect(database)
        with store.immediate(db):
            for n in range(count):
                store.append_event(db, "2026-11-30T01:00:00+00:00", "kiosk_help", {"message": f"第 {n} 次" * 40})
        db.conn.close()
        broker.notify()

    waiting = parked_until_given_back(start)
    append_events(200)  # far more than the socket holds
    waiting["thread"].join(10)
    parked = waiting["parked"]
    assert parked.unsent and not parked.closed and parked.last_id == broker.last_id == start + 200
    screen_end.setblocking(False)
    received = b""
    with contextlib.suppress(BlockingIOError):
        while chunk := screen_end.recv(65536):
            received += chunk
    assert event_ids(received + parked.unsent) == list(range(start + 1, start + 201))  # once each, in order

    screen_end.close()
    waiting = parked_until_given_back(broker.last_id)
    append_events(1)
    waiting["thread"].join(10)
    assert waiting["parked"].closed
    server_end.close()


def test_wake_ups_are_paced_while_commits_keep_coming_and_none_is_lost(tmp_path):
    """A burst of commits wakes the subscribers a few times at once, then once per WAKE_INTERVAL;
    the last wake-up carries the last event. A commit of something else (no new event) wakes nobody."""
    database = make_hall(tmp_path)["server"]["database"]
    broker = EventBroker(lambda: store.connect(database))
    start = broker.last_id
    seen_after_each_wake: list[int] = []
    done = threading.Event()

    def subscriber():
        last = start
        while not done.is_set():
            arrived = broker._arrived  # woken or not, whatever is already loaded
            if arrived.wait(0.5):
                fresh = broker.events_after(last)
                last = fresh[-1]["id"] if fresh else last
                seen_after_each_wake.append(last)

    thread = threading.Thread(target=subscriber)
    thread.start()
    db = store.connect(database)
    began = time.monotonic()
    for n in range(60):
        with store.immediate(db):
            store.append_event(db, "2026-11-30T01:00:00+00:00", "kiosk_help", {"message": str(n)})
        broker.notify(db)
    elapsed = time.monotonic() - began
    time.sleep(WAKE_INTERVAL * 3)
    wakes = len(seen_after_each_wake)
    assert seen_after_each_wake[-1] == start + 60  # the last event reached the subscriber
    assert wakes <= WAKE_BURST + elapsed / WAKE_INTERVAL + 2  # not 60 wake-ups
    with store.immediate(db):  # another write, no event
        db.execute("INSERT INTO hall_day VALUES ('2099-01-01', 'holiday', '')")
    broker.notify(db)
    time.sleep(WAKE_INTERVAL * 2)
    done.set()
    thread.join(5)
    db.conn.close()
    assert len(seen_after_each_wake) == wakes


def test_stream_tells_displays_to_come_back_within_a_second(tmp_path, monkeypatch):
    server = served(tmp_path, monkeypatch, workers=2)
    try:
        with requests.get(server.url + "/api/v1/stream", stream=True, timeout=10) as stream:
            first = next(stream.iter_lines())
        assert first == b"retry: 1000"
    finally:
        server.stop()


def test_one_encoded_chunk_per_event_shared_by_every_subscriber():
    event = {"id": 7, "type": "ticket_called", "at": "2026-11-25T01:00:00+00:00", "data": {"number": "A001"}}
    chunk = format_sse(event)
    assert chunk is format_sse(event)  # the very same bytes object for the next subscriber
    assert chunk.startswith(b"id: 7\nevent: ticket_called\ndata: ") and "A001".encode() in chunk
    # an audience gets its own encoding, once, or nothing
    hidden = format_sse(event, "public", lambda payload: payload | {"data": {}})
    assert hidden is format_sse(event, "public", lambda payload: None) and b"A001" not in hidden
    assert format_sse(event, "nobody", lambda payload: None) == b""
    two = sse_chunk([event, {**event, "id": 8}])
    assert two.count(b"\n\n") == 2


# --- helper processes ------------------------------------------------------------------

@pytest.fixture
def helpers_enabled():
    offload.enable()
    yield
    offload.enable(False)


def _nice(pid: int) -> int:
    return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[16])


def test_helper_processes_do_the_work_at_a_lower_cpu_priority(helpers_enabled):
    assert offload.run("os:getpid", pool="reports") != os.getpid()
    pool = offload._pool("reports")
    helper = pool._idle.get()
    try:
        assert _nice(helper.process.pid) == offload.HELPER_NICE > _nice(os.getpid())
        # a batch task: a worker woken by a request never waits for it to finish its time slice
        assert os.sched_getscheduler(helper.process.pid) == os.SCHED_BATCH
    finally:
        pool._idle.put(helper)
    assert offload.run("os:getpid", pool="passwords") != os.getpid()


def test_password_hashes_run_one_at_a_time_across_workers_reports_side_by_side(tmp_path):
    """Two workers' pools (as two gunicorn workers hold them) sharing the installation's folder."""
    offload.enable(turns_dir=tmp_path)
    pools = []
    try:
        def overlapped(pool_name) -> float:
            size, idle, one_at_a_time = offload.POOLS[pool_name]
            pair = [offload.HelperPool(pool_name, size, idle, offload.turn_file(pool_name) if one_at_a_time else None)
                    for _ in range(2)]
            pools.extend(pair)
            for pool in pair:  # warm: the helpers' start is not what is timed
                pool.call("os:getpid", (), {})
            began = time.monotonic()
            threads = [threading.Thread(target=pool.call, args=("time:sleep", (0.5,), {})) for pool in pair]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return time.monotonic() - began

        assert overlapped("passwords") >= 1.0          # the second waited for the first
        assert overlapped("reports") < 0.95            # side by side
        assert (tmp_path / ".passwords-turn").exists()
    finally:
        for pool in pools:
            pool.close()
        offload.enable(False)


def test_a_helpers_refusal_comes_back_as_the_same_error(helpers_enabled):
    image = io.BytesIO()
    Image.new("RGB", (20, 20)).save(image, "PNG")
    with pytest.raises(BadRequest, match="照片太小"):
        offload.run("queue_server.hall_admin:portrait_jpeg", image.getvalue())
    image = io.BytesIO()
    Image.new("RGB", (600, 900), "red").save(image, "PNG")
    portrait = Image.open(io.BytesIO(offload.run("queue_server.hall_admin:portrait_jpeg", image.getvalue())))
    assert portrait.format == "JPEG" and portrait.width * 4 == portrait.height * 3


def test_a_killed_helper_is_replaced_on_the_next_job(helpers_enabled):
    pid = offload.run("os:getpid", pool="passwords")
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    for _ in range(4):  # every helper of the pool answers, the killed one replaced
        assert offload.run("werkzeug.security:check_password_hash",
                           offload.run("werkzeug.security:generate_password_hash", "s3cret!", pool="passwords"),
                           "s3cret!", pool="passwords")
    assert offload.run("os:getpid", pool="passwords") != pid


# --- health ---------------------------------------------------------------------------

def wait_for_answer(server: ServerProcess, timeout=60) -> requests.Response:
    """Start the server and wait until it answers /healthz at all (a damaged hall answers 503)."""
    env = dict(os.environ, GOVHALL_CONFIG=str(server.config_path))
    server.process = subprocess.Popen([sys.executable, "-m", "queue_server", "serve", "--port", str(server.port)],
                                      env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return requests.get(server.url + "/api/v1/healthz", timeout=5)
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("server did not answer")


def damage_ticket_table(database: str):
    """Overwrite the ticket table's root page with noise, the WAL folded in first (a failing disk)."""
    db = store.connect(database)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'ticket'").fetchone()[0]
    db.conn.close()
    with open(database, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(bytes((7 * i + 3) % 256 for i in range(page_size)))


def test_health_reports_write_time_disk_voice_backup_and_integrity(tmp_path, monkeypatch):
    server = served(tmp_path, monkeypatch, workers=1)
    try:
        report = requests.get(server.url + "/api/v1/healthz?check=integrity", timeout=30).json()
        assert report["status"] == "ok" and report["database"] == "ok"
        assert report["integrity"]["result"] == "ok" and report["integrity"]["checked_at"]
        assert report["disk_free_mb"] > 0 and report["write_ms"] >= 0
        assert report["voice_pack"] is False and report["last_backup_age_hours"] is None
        assert any("语音包" in w for w in report["warnings"]) and any("备份" in w for w in report["warnings"])
        subprocess.run([sys.executable, "-m", "queue_server", "backup"], check=True, capture_output=True,
                       env=dict(os.environ, GOVHALL_CONFIG=str(server.config_path)))
        report = requests.get(server.url + "/api/v1/healthz", timeout=30).json()
        assert 0 <= report["last_backup_age_hours"] < 1
        assert not any("备份" in w for w in report["warnings"])
        # the write bound: a lock held elsewhere makes the health check say so within it, not hang
        lock = LockHolder(server.config["server"]["database"])
        try:
            answer = requests.get(server.url + "/api/v1/healthz", timeout=30)
            assert answer.status_code == 503 and answer.json()["error"] == "database_unavailable"
            assert answer.json()["write_ms"] < 5000
        finally:
            lock.release()
        assert requests.get(server.url + "/api/v1/healthz", timeout=30).status_code == 200
    finally:
        server.stop()


def test_a_damaged_database_is_a_clear_503_and_a_restore_recovers_without_a_restart(tmp_path, monkeypatch):
    port = free_port()
    config = make_hall(tmp_path, port=port)
    monkeypatch.setenv("GOVHALL_SERVER_WORKERS", "1")
    env = dict(os.environ, GOVHALL_CONFIG=str(tmp_path / "govhall.toml"))
    db = store.connect(config["server"]["database"])
    kiosk_id, kiosk = register_kiosk(db, "一号自助机")
    db.conn.close()
    backup = subprocess.run([sys.executable, "-m", "queue_server", "backup"], check=True, capture_output=True,
                            text=True, env=env)
    good_copy = sorted((tmp_path / "var" / "backups").glob("govhall-*.db"))[-1]
    damage_ticket_table(config["server"]["database"])

    server = ServerProcess(tmp_path / "govhall.toml", port)
    try:
        wait_for_answer(server)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the check at start runs beside the first answers
            answer = requests.get(server.url + "/api/v1/healthz", timeout=30)
            if answer.status_code == 503:
                break
            time.sleep(0.3)
        assert answer.status_code == 503
        assert answer.json()["error"] == "database_damaged" and "govhall restore" in answer.json()["message"]
        assert answer.json()["integrity"]["result"] == "damaged"
        ticket = requests.post(server.url + "/api/v1/tickets", json={"service_id": 1}, headers=bearer(kiosk), timeout=10)
        assert ticket.status_code == 503 and ticket.json()["error"] == "database_damaged"

        restored = subprocess.run([sys.executable, "-m", "queue_server", "restore", "--force", str(good_copy)],
                                  capture_output=True, text=True, env=env)
        assert restored.returncode == 0, restored.stdout + restored.stderr
        answer = requests.get(server.url + "/api/v1/healthz", timeout=30)  # the same server process
        assert answer.status_code == 200, answer.json()
        assert answer.json()["integrity"]["result"] == "ok"
        assert requests.get(server.url + "/api/v1/display", timeout=10).status_code == 200
        ticket = requests.post(server.url + "/api/v1/tickets", json={"service_id": 1}, headers=bearer(kiosk), timeout=10)
        assert ticket.status_code == 201, ticket.text
    finally:
        server.stop()
    assert backup.returncode == 0


def test_the_integrity_check_runs_on_a_low_priority_thread_not_a_helper(tmp_path):
    """SQLite's check reads the whole file in C with the GIL released: a thread of the worker at the
    helpers' priority does it, without a helper process (25-40 MB) per worker."""
    port = free_port()
    make_hall(tmp_path, port=port)
    server = ServerProcess(tmp_path / "govhall.toml", port).start()
    try:
        report = requests.get(server.url + "/api/v1/healthz?check=integrity", timeout=30).json()
        assert report["integrity"]["result"] == "ok"
        workers = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True,
                                 text=True).stdout.split()
        low_threads, helpers = 0, []
        for worker in workers:
            helpers += subprocess.run(["pgrep", "-P", worker], capture_output=True, text=True).stdout.split()
            for task in Path(f"/proc/{worker}/task").iterdir():
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                nice, policy = int(fields[16]), int(fields[38])  # stat fields 19 and 41
                if nice == offload.HELPER_NICE and policy == os.SCHED_BATCH:
                    low_threads += 1
        assert low_threads >= 1  # the worker that answered has one; the other ran its check at start
        assert helpers == []
    finally:
        server.stop()


def test_helpers_that_left_while_idle_are_replaced_without_an_error(tmp_path):
    """Idle helpers exit after their pool's idle time; a job sent just then (both helpers gone, or
    going as the job is written) still gets an answer from a fresh one, at every moment around it."""
    offload.enable(turns_dir=tmp_path)
    pool = offload.HelperPool("reports", 2, 1)
    try:
        def two_at_once():
            answers = []
            threads = [threading.Thread(target=lambda: answers.append(pool.call("os:getpid", (), {})))
                       for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return answers

        before = two_at_once()
        for pause in (0.9, 0.95, 1.0, 1.05, 1.1, 1.3):
            time.sleep(pause)
            answers = two_at_once()
            assert len(answers) == 2, pause  # a job that raised leaves no answer
        assert set(answers).isdisjoint(before)  # the first helpers did leave
    finally:
        pool.close()
        offload.enable(False)
