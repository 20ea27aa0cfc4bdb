"""Work that must not hold up the live worker, done in a few helper processes.

The server's gevent worker runs every request on one thread: a chart drawn with matplotlib, an
XLSX export, a password hashed with scrypt, a content sync or a photo resized there stops every
display, kiosk and staff workstation for as long as it takes. `run("module:function", *args)` hands
such a call to a warm helper process (a plain `python -m queue_server.offload`) and waits for its
answer cooperatively: under gevent the pipes are gevent's, so other requests go on meanwhile; under
plain threads (tests, the CLI) it blocks only its own thread.

Helpers yield the CPU to the live path: they run as SCHED_BATCH at nice 19, so a worker woken by
a request takes the core at once and a helper gets what is left (never nothing: a login still
finishes on a machine that is busy). Two pools, so a year of statistics never queues a login
behind it: `passwords` (hashing) and `reports` (charts, exports, reports, photos, content sync).
scrypt is built to use memory and CPU: eight login loops hashing at once would fill both cores and
their caches, so password hashes run one at a time per installation, across all workers (a
`.passwords-turn` lock file beside the database); the others wait in their helpers, not in the
worker. Helpers start on first use, and a `reports` helper that sat idle for a while exits
(matplotlib is large); a fresh one starts with the next job.

Until `enable()` is called (the web app does it) `run` calls the function in place: the CLI and
scripts have no live path to protect."""

from __future__ import annotations

import fcntl
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
import time

log = logging.getLogger(__name__)

# pool name → (helpers per worker at most, seconds idle before a helper exits (0 = never),
#              one job at a time across the installation's workers)
# Idle helpers exit soon: each is a Python process of 25-40 MB, a reports helper that drew charts
# about 110 MB; a statistics page's charts come within a second of each other, and the next page
# after a pause costs the admin a second more to start a helper, never a hall screen's delay.
POOLS = {
    "passwords": (1, 120, True),
    "reports": (2, 10, False),
}
HELPER_NICE = 19
_HEADER = struct.Struct("!Q")

_enabled = False
_turns_dir = None  # where the one-at-a-time pools' lock files live (the database's folder)
_pools: dict[str, "HelperPool"] = {}
_pools_lock = threading.Lock()
_owner_pid = None  # pools belong to the process that made them (gunicorn forks workers)


class HelperDied(RuntimeError):
    """A helper process ended before answering (killed, or out of memory)."""


def enable(on: bool = True, turns_dir: str | os.PathLike | None = None):
    global _enabled, _turns_dir
    _enabled = on
    _turns_dir = turns_dir


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


_low_thread = None  # (owner pid, a gevent ThreadPool of one OS thread at low priority)


def run_on_low_thread(function, *args):
    """`function(*args)` on an OS thread of this process that runs at the helpers' low priority,
    for work that spends its time in C with the GIL released (SQLite's integrity check reading the
    whole file): no helper process and its memory, yet the live path keeps the cores it needs.
    In a gevent worker the caller waits cooperatively; elsewhere (tests, the CLI) it just calls."""
    try:
        from gevent import monkey
    except ImportError:
        return function(*args)
    if not (_enabled and monkey.is_module_patched("threading")):
        return function(*args)
    from gevent.threadpool import ThreadPool

    global _low_thread
    with _pools_lock:
        if _low_thread is None or _low_thread[0] != os.getpid():
            _low_thread = (os.getpid(), ThreadPool(1))
            _low_thread[1].apply(yield_cpu)  # nice and SCHED_BATCH are per thread on Linux: only this one
    return _low_thread[1].apply(function, args)


def _pool(name: str) -> "HelperPool":
    global _owner_pid
    with _pools_lock:
        if _owner_pid != os.getpid():  # a forked child starts its own helpers, never shares the parent's pipes
            _pools.clear()
            _owner_pid = os.getpid()
        if name not in _pools:
            size, idle, one_at_a_time = POOLS[name]
            _pools[name] = HelperPool(name, size, idle, turn_file(name) if one_at_a_time else None)
        return _pools[name]


def turn_file(pool: str) -> str:
    import tempfile

    return os.path.join(os.fspath(_turns_dir or tempfile.gettempdir()), f".{pool}-turn")


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
    def __init__(self, pool: str, idle_exit: int, turn: str | None):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "queue_server.offload", str(idle_exit)] + ([turn] if turn else []),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True,
            env=dict(os.environ, GOVHALL_HELPER_POOL=pool))
        self.last_active = time.monotonic()

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
        self.last_active = time.monotonic()
        ok, value = answer
        if ok:
            return value
        raise value

    def may_have_left_idle(self, idle_exit: int) -> bool:
        """Whether it sat idle long enough to exit on its own (a second's slack for a slow start)."""
        return bool(idle_exit) and time.monotonic() - self.last_active >= idle_exit - 1

    def close(self):
        try:
            self.process.kill()
            self.process.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            pass


class HelperPool:
    def __init__(self, name: str, size: int, idle_exit: int, turn: str | None = None):
        self.name, self.size, self.idle_exit, self.turn = name, size, idle_exit, turn
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._started = 0
        self._lock = threading.Lock()

    def _take(self) -> Helper:
        with self._lock:
            if self._idle.empty() and self._started < self.size:
                self._started += 1
                return Helper(self.name, self.idle_exit, self.turn)
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
                self._idle.put(Helper(self.name, self.idle_exit, self.turn))

    def close(self):
        while not self._idle.empty():
            self._idle.get_nowait().close()

    def call(self, target, args, kwargs):
        """Idle helpers may have exited on their own (or be exiting as the job is sent): those are
        given back and another taken. A helper that dies while it had no reason to leave (the job
        killed it) is a real failure."""
        for _ in range(self.size + 3):
            helper = self._take()
            if not helper.alive():
                self._give_back(helper)
                continue
            try:
                result = helper.call(target, args, kwargs)
            except HelperDied:
                helper.close()  # reaped now: an exiting process may still look alive, and must not go back
                self._give_back(helper)
                if not helper.may_have_left_idle(self.idle_exit):
                    raise
                continue
            except BaseException:
                self._give_back(helper)
                raise
            self._give_back(helper)
            return result
        raise HelperDied(f"no helper of pool {self.name} answered")


# --- the helper process ----------------------------------------------------------------

def yield_cpu():
    """This process takes the CPU only when the live path leaves it: SCHED_BATCH (a woken worker is
    never kept waiting for it) at the lowest priority that still makes progress."""
    try:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux: the nice value alone
        pass
    os.nice(HELPER_NICE - os.nice(0))


def _serve(idle_exit: int, turn: str | None):
    yield_cpu()
    parent = os.getppid()
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a print() in a job must not corrupt the answers
    turn_fd = os.open(turn, os.O_RDWR | os.O_CREAT, 0o600) if turn else None
    while True:
        if idle_exit and not select.select([source], [], [], idle_exit)[0]:
            return  # idle long enough: give the memory back
        job = _receive(source)
        if job is None or os.getppid() != parent:
            return  # the server closed the pipe or is gone: its job is nobody's any more
        target, args, kwargs = job
        if turn_fd is not None:
            fcntl.flock(turn_fd, fcntl.LOCK_EX)  # this pool's jobs one at a time, whichever worker asked
        try:
            answer = (True, _resolve(target)(*args, **kwargs))
        except Exception as error:  # sent back and raised in the server, where it is handled
            answer = (False, error)
        finally:
            if turn_fd is not None:
                fcntl.flock(turn_fd, fcntl.LOCK_UN)
        try:
            _send(sink, answer)
        except (pickle.PicklingError, TypeError, AttributeError):
            _send(sink, (False, RuntimeError(repr(answer[1])[:500])))
        except BrokenPipeError:
            return  # the server went while this job ran: nobody to answer


if __name__ == "__main__":
    _serve(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None)
