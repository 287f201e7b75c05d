"""The deadline of one request's work. The caller sets it (web/ does, per HTTP request); the
search checks it at points inside its loops and while waiting for the engine, so a search
that runs past it stops there with SearchTimeout (503) and leaves the index to the next one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

from search.errors import SearchTimeout

# (time.monotonic() when it ends, seconds allowed), or None: no limit
_DEADLINE: ContextVar[tuple[float, float] | None] = ContextVar("search_deadline", default=None)


def start(seconds: float | None) -> Token:
    """From now on, the work of this thread (context) must end within `seconds` (None, 0: no
    limit). Give the token to `clear` when the work is done."""
    value = (time.monotonic() + seconds, seconds) if seconds else None
    return _DEADLINE.set(value)


def clear(token: Token) -> None:
    _DEADLINE.reset(token)


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """`with deadline(10):` the work in the block must end within 10 seconds."""
    token = start(seconds)
    try:
        yield
    finally:
        clear(token)


def remaining() -> float | None:
    """Seconds left (0 once past), or None without a deadline."""
    value = _DEADLINE.get()
    return None if value is None else max(0.0, value[0] - time.monotonic())


def check() -> None:
    """SearchTimeout once the deadline has passed."""
    value = _DEADLINE.get()
    if value is not None and time.monotonic() >= value[0]:
        raise SearchTimeout(
            f"The search took longer than {duration(value[1])} and was stopped; try fewer "
            "words or a narrower query."
        )


def busy() -> SearchTimeout:
    """The error for a request whose deadline passed while other requests held the index."""
    value = _DEADLINE.get()
    within = f" within {duration(value[1])}" if value is not None else ""
    return SearchTimeout(
        f"The server is busy with other searches and could not start this one{within}; "
        "try again in a moment."
    )


def duration(value: float) -> str:
    """`value` seconds in words: "1 second", "2.5 seconds" (for the errors' sentences)."""
    return f"{value:g} second" + ("" if value == 1 else "s")


@contextmanager
def holding(lock: Any) -> Iterator[None]:
    """Hold `lock` (a FairLock, or threading's), waiting for it at most until the request's
    deadline: the busy() error when it is not free by then."""
    wait = remaining()
    if not lock.acquire(timeout=-1 if wait is None else wait):
        raise busy()
    try:
        yield
    finally:
        lock.release()
