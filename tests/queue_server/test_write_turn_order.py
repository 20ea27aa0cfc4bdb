"""A worker's greenlets take the write turn first come, first served: one that arrives while the
turn is being handed over does not jump the queue (gevent's own lock lets it, and under a flood
of tickets the kiosks at the back of the queue waited a second)."""

from __future__ import annotations

import gevent
import pytest
from gevent.lock import Semaphore

from storage import _FirstComeLock


def order_of_turns(lock) -> list[str]:
    """The holder gives the turn back just as a newcomer asks for it; five others were waiting."""
    taken = []

    def writer(name):
        lock.acquire()
        taken.append(name)
        gevent.sleep(0.001)
        lock.release()

    lock.acquire()
    waiting = [gevent.spawn(writer, f"waiting {n}") for n in range(5)]
    gevent.sleep(0.01)  # all five are queued

    def holder_then_newcomer():
        lock.release()
        writer("newcomer")  # asks before any waiter has run

    gevent.joinall([gevent.spawn(holder_then_newcomer), *waiting], timeout=5, raise_error=True)
    return taken


def test_the_turn_goes_to_the_first_who_asked():
    assert order_of_turns(_FirstComeLock()) == [f"waiting {n}" for n in range(5)] + ["newcomer"]


def test_gevents_own_lock_lets_a_newcomer_jump_the_queue():
    """Why the lock above exists: the newcomer is served first."""
    assert order_of_turns(Semaphore())[0] == "newcomer"


def test_a_waiter_that_gives_up_leaves_the_queue():
    lock = _FirstComeLock()
    lock.acquire()
    impatient = gevent.spawn(lock.acquire)
    patient = gevent.spawn(lock.acquire)
    gevent.sleep(0.01)
    impatient.kill()
    lock.release()
    patient.join(timeout=5)
    assert patient.successful()
    lock.release()
    assert lock.acquire() is None and lock._held  # free again, then taken


def test_a_waiter_killed_as_the_turn_reaches_it_passes_it_on():
    """Killed (the worker stopping) just as the turn is handed to it: whether the kill or the turn
    arrives first, the next waiter gets the turn."""
    lock = _FirstComeLock()
    taken = []

    def writer(name):
        lock.acquire()
        try:
            taken.append(name)
            gevent.sleep(0.001)
        finally:
            lock.release()

    lock.acquire()
    first, second = gevent.spawn(writer, "first"), gevent.spawn(writer, "second")
    gevent.sleep(0.01)
    lock.release()  # handed to `first`, which has not run yet
    first.kill()
    second.join(timeout=5)
    assert second.successful() and taken[-1] == "second"
    assert not lock._held


@pytest.fixture(autouse=True)
def no_leftover_greenlets():
    yield
    gevent.sleep(0)
