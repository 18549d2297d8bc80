"""The simulator's delayed posts (STK callbacks, C2B confirmations): daemon timers, kept in a set so
that a test can cancel those not yet due and wait for those under way before its database is
emptied (a callback still writing then would deadlock with the flush)."""

from __future__ import annotations

import threading

_pending: set[threading.Timer] = set()
_lock = threading.Lock()


def later(delay: float, function, *args) -> threading.Timer:
    """A timer (not started) that runs ``function(*args)`` after ``delay`` seconds."""
    def run():
        try:
            function(*args)
        finally:
            with _lock:
                _pending.discard(timer)

    timer = threading.Timer(max(delay, 0), run)
    timer.daemon = True
    with _lock:
        _pending.add(timer)
    return timer


def settle(timeout: float = 15.0) -> None:
    """Cancel the deliveries not yet due and wait up to ``timeout`` s for those already running."""
    with _lock:
        timers = list(_pending)
        _pending.clear()
    for timer in timers:
        timer.cancel()  # a timer already running its function finishes it
    for timer in timers:
        if timer.is_alive():
            timer.join(timeout)
