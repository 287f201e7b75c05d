"""search/fairlock.py: the engine's lock goes to the threads waiting for it, in order."""

from __future__ import annotations

import threading

import pytest

from search.fairlock import FairLock


def test_a_thread_that_releases_cannot_take_the_lock_back_ahead_of_a_waiting_one():
    """The starvation it prevents: a loop of short requests holding off a waiting one."""
    lock = FairLock()
    order: list[str] = []
    lock.acquire()
    waiting = threading.Thread(target=lambda: (lock.acquire(), order.append("waiting"),
                                               lock.release()))  # fmt: skip
    waiting.start()
    while not lock._queue:  # the other thread is in line
        waiting.join(0.01)
    lock.release()
    assert not lock.acquire(blocking=False)  # it is the waiting thread's turn
    with lock:  # blocks until the waiting thread is done
        order.append("looping")
    waiting.join(10)
    assert order == ["waiting", "looping"]


def test_re_entrant_and_released_as_often_as_taken():
    lock = FairLock()
    with lock, lock:
        assert lock._depth == 2
    assert lock._owner is None
    with pytest.raises(RuntimeError):
        lock.release()


def test_a_wait_past_its_timeout_gives_up_and_leaves_the_line():
    lock = FairLock()
    lock.acquire()
    result: list[bool] = []
    other = threading.Thread(target=lambda: result.append(lock.acquire(timeout=0.05)))
    other.start()
    other.join(10)
    assert result == [False] and not lock._queue
    lock.release()
    assert lock.acquire(blocking=False)
