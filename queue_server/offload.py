"""Work that must not hold up the live worker, done in a few helper processes.

The server's gevent worker runs every request on one thread: a chart drawn with matplotlib, an
XLSX export, a password hashed with scrypt or a photo resized there stops every display, kiosk
and staff workstation for as long as it takes. `run("module:function", *args)` hands such a call to
a warm helper process (a plain `python -m queue_server.offload`, lowered in CPU priority so the
live path wins the cores) and waits for its answer cooperatively: under gevent the pipes are
gevent's, so other requests go on meanwhile; under plain threads (tests, the CLI) it blocks only
its own thread.

Two pools, so a year of statistics never queues a login behind it: `passwords` (hashing) and
`reports` (charts, exports, reports, photos). Helpers start on first use, and a `reports` helper
that sat idle for a while exits (matplotlib is large); a fresh one starts with the next job.

Until `enable()` is called (the web app does it) `run` calls the function in place: the CLI and
scripts have no live path to protect."""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import queue
import select
import struct
import subprocess
import sys
import threading

log = logging.getLogger(__name__)

# pool name → (helpers at most, nice increment, seconds idle before a helper exits; 0 = never)
POOLS = {
    "passwords": (2, 5, 0),
    "reports": (2, 10, 120),
}
_HEADER = struct.Struct("!Q")

_enabled = False
_pools: dict[str, "HelperPool"] = {}
_pools_lock = threading.Lock()
_owner_pid = None  # pools belong to the process that made them (gunicorn forks workers)


class HelperDied(RuntimeError):
    """A helper process ended before answering (killed, or out of memory)."""


def enable(on: bool = True):
    global _enabled
    _enabled = on


def enabled() -> bool:
    return _enabled


def shutdown():
    """End this process's helpers and wait for them: a stopped server leaves nothing holding its
    database open (a restore checks that nobody does)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


def run(target: str, *args, pool: str = "reports", **kwargs):
    """`target` ("package.module:function") called with the arguments in a helper process of `pool`;
    returns its result or raises its exception. Arguments and result must pickle."""
    if not _enabled:
        return _resolve(target)(*args, **kwargs)
    return _pool(pool).call(target, args, kwargs)


def _pool(name: str) -> "HelperPool":
    global _owner_pid
    with _pools_lock:
        if _owner_pid != os.getpid():  # a forked child starts its own helpers, never shares the parent's pipes
            _pools.clear()
            _owner_pid = os.getpid()
        if name not in _pools:
            size, nice, idle = POOLS[name]
            _pools[name] = HelperPool(name, size, nice, idle)
        return _pools[name]


def _resolve(target: str):
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


def _send(stream, obj):
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream):
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    return pickle.loads(_read_exactly(stream, _HEADER.unpack(header)[0]) or b"")


def _read_exactly(stream, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class Helper:
    def __init__(self, pool: str, nice: int, idle_exit: int):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "queue_server.offload", str(nice), str(idle_exit)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True,
            env=dict(os.environ, GOVHALL_HELPER_POOL=pool))

    def alive(self) -> bool:
        return self.process.poll() is None

    def call(self, target, args, kwargs):
        try:
            _send(self.process.stdin, (target, args, kwargs))
            answer = _receive(self.process.stdout)
        except (BrokenPipeError, OSError) as error:
            raise HelperDied(str(error)) from None
        if answer is None:
            raise HelperDied(f"helper process {self.process.pid} ended")
        ok, value = answer
        if ok:
            return value
        raise value

    def close(self):
        try:
            self.process.kill()
            self.process.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            pass


class HelperPool:
    def __init__(self, name: str, size: int, nice: int, idle_exit: int):
        self.name, self.size, self.nice, self.idle_exit = name, size, nice, idle_exit
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._started = 0
        self._lock = threading.Lock()

    def _take(self) -> Helper:
        with self._lock:
            if self._idle.empty() and self._started < self.size:
                self._started += 1
                return Helper(self.name, self.nice, self.idle_exit)
        return self._idle.get()

    def _give_back(self, helper: Helper | None):
        if helper is not None and helper.alive():
            self._idle.put(helper)
            return
        with self._lock:
            self._started -= 1
        if helper is not None:
            helper.close()
        # a caller waiting for a helper of a full pool may now start one
        with self._lock:
            if self._started < self.size and self._idle.empty():
                self._started += 1
                self._idle.put(Helper(self.name, self.nice, self.idle_exit))

    def close(self):
        while not self._idle.empty():
            self._idle.get_nowait().close()

    def call(self, target, args, kwargs):
        for attempt in (1, 2):  # an idle helper may have just exited on its own: one retry with a fresh one
            helper = self._take()
            if not helper.alive():
                self._give_back(helper)
                continue
            try:
                result = helper.call(target, args, kwargs)
            except HelperDied:
                self._give_back(helper)
                if attempt == 2:
                    raise
                continue
            except BaseException:
                self._give_back(helper)
                raise
            self._give_back(helper)
            return result
        raise HelperDied(f"no helper of pool {self.name} answered")


# --- the helper process ----------------------------------------------------------------

def _serve(nice: int, idle_exit: int):
    os.nice(nice)
    parent = os.getppid()
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a print() in a job must not corrupt the answers
    while True:
        if idle_exit and not select.select([source], [], [], idle_exit)[0]:
            return  # idle long enough: give the memory back
        job = _receive(source)
        if job is None or os.getppid() != parent:
            return  # the server closed the pipe or is gone: its job is nobody's any more
        target, args, kwargs = job
        try:
            answer = (True, _resolve(target)(*args, **kwargs))
        except Exception as error:  # sent back and raised in the server, where it is handled
            answer = (False, error)
        try:
            _send(sink, answer)
        except (pickle.PicklingError, TypeError, AttributeError):
            _send(sink, (False, RuntimeError(repr(answer[1])[:500])))


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]))
