"""A re-entrant lock handed over in the order threads asked for it.

threading's locks let the thread that releases one take it again at once, ahead of threads
already waiting: four exports, each a loop of a thousand short reads of the index, kept a
health check waiting until they were all done. This one queues the waiting threads and gives
the lock to the first of them.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class FairLock:
    """Re-entrant, first come first served; `with lock:` or acquire/release as threading's."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._queue: deque[int] = deque()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Take the lock, waiting behind the threads that asked before (at most `timeout`
        seconds if it is not -1; not at all if `blocking` is False). False if not taken."""
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return True
            if self._owner is None and not self._queue:
                self._owner, self._depth = me, 1
                return True
            if not blocking:
                return False
            end = None if timeout < 0 else time.monotonic() + timeout
            self._queue.append(me)
            while self._owner is not None or self._queue[0] != me:
                left = None if end is None else end - time.monotonic()
                if left is not None and left <= 0:
                    self._queue.remove(me)
                    self._cond.notify_all()  # the next in line may be free to go now
                    return False
                self._cond.wait(left)
            self._queue.popleft()
            self._owner, self._depth = me, 1
            return True

    def release(self) -> None:
        with self._cond:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of a FairLock not held by this thread")
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._cond.notify_all()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
