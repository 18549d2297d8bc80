"""The simulator's delayed posts can be settled: those not yet due never run, those running finish."""

import threading
import time

from modules.core.payments.simulator import deliveries


def test_settle_cancels_what_is_not_due_and_waits_for_what_runs():
    ran, started = [], threading.Event()

    def slow(name):
        started.set()
        time.sleep(0.5)
        ran.append(name)

    deliveries.later(0, slow, "running").start()
    deliveries.later(60, ran.append, "not due").start()
    deliveries.later(0, ran.append, "never started")  # its transaction never committed
    assert started.wait(5)
    deliveries.settle()
    assert ran == ["running"]
    time.sleep(0.1)
    assert ran == ["running"]
