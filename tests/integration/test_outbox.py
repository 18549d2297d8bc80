"""The PostgreSQL outbox on real PostgreSQL, real Redis and real RQ worker processes: written in the
caller's transaction, idempotent by (topic, key), run after commit, retried with backoff, dead after
max_attempts, nothing lost when a worker is killed mid-job or Redis is down at commit time, and each
message's database work done exactly once under 30 concurrent processors."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connections, transaction
from django.test import override_settings
from django.utils import timezone

from fixtures.demo import seed
from modules.core.notifications import services as notifications
from modules.core.notifications.models import Notification
from modules.core.outbox import services as outbox
from modules.core.outbox.models import Message
from modules.core.registry import events, registry
from modules.core.registry.contract import Module, Subscription
from tests.conftest import PASSWORD
from tests.db_urls import database_url
from tests.outbox_probe.module import PROBE
from tests.redis_server import PrivateRedis

ROOT = Path(__file__).resolve().parents[2]
PROBE_MODULES = [*settings.BACKOFFICE_MODULES, "tests.outbox_probe"]


@pytest.fixture
def probe(transactional_db):
    """The probe topic declared, the demo seeded; yields the owner's id (the probe's recipient)."""
    registry.modules.cache_clear()
    with override_settings(BACKOFFICE_MODULES=PROBE_MODULES):
        seed(PASSWORD, opening_stock=False)
        yield User.objects.get(username="owner").pk
    registry.modules.cache_clear()


def rows_per_key(prefix):
    return Counter(Notification.objects.filter(message__startswith=prefix).values_list("message", flat=True))


def test_written_in_the_callers_transaction_and_idempotent_by_topic_and_key(probe):
    with override_settings(OUTBOX_EAGER=False):
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            outbox.enqueue(PROBE, key="rolled-back", payload={"user_id": probe})
            1 / 0
        assert not Message.objects.filter(key="rolled-back").exists()

        with transaction.atomic():
            first = outbox.enqueue(PROBE, key="k1", payload={"user_id": probe, "n": 1}, business="water")
            again = outbox.enqueue(PROBE, key="k1", payload={"user_id": probe, "n": 2})
        assert first.pk == again.pk and again.payload["n"] == 1
        assert Message.objects.get(key="k1").business_code == "water"

    with pytest.raises(outbox.UnknownTopic):
        outbox.enqueue("nobody.declared", key="x", payload={})


def test_a_failing_handler_is_retried_with_backoff_then_dead_and_retried_by_hand(probe):
    with override_settings(OUTBOX_EAGER=False):
        message = outbox.enqueue(PROBE, key="f1", payload={"user_id": probe, "fail": "gateway said no"})
    assert outbox.process(message.pk) == "failed"
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING and message.attempts == 1
    assert "gateway said no" in message.last_error
    assert message.next_attempt_at > timezone.now() - timedelta(seconds=0.1)  # backoff 1 s before a retry
    assert outbox.process(message.pk) == "skipped", "retried before its backoff ran out"

    for attempt in (2, 3):
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        assert outbox.process(message.pk) == ("failed" if attempt < 3 else "dead")
    message.refresh_from_db()
    assert message.status == Message.Status.DEAD and message.attempts == 3  # the probe's max_attempts
    assert outbox.facts().dead == 1

    Message.objects.filter(pk=message.pk).update(payload={"user_id": probe})  # the cause is fixed
    assert outbox.retry(Message.objects.filter(pk=message.pk)) == 1
    assert outbox.process(message.pk) == "done"
    assert rows_per_key("f1") == {"f1": 1}
    assert outbox.facts().dead == 0


def test_durable_subscriptions_survive_a_process_that_dies_after_commit(probe):
    """With no worker and nothing run in-process, the committed event waits in PostgreSQL; the sweep
    runs it later. An in-process subscription would simply be gone."""
    durable = Module(key="durable_probe", label="Durable probe", subscriptions=(
        Subscription("probe.happened", "modules.core.notifications.services.send", durable=True),))
    registry.modules.cache_clear()
    with override_settings(OUTBOX_EAGER=False):
        original = registry.modules()
        registry.modules.cache_clear()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(registry, "modules", lambda: (*original, durable))
            with transaction.atomic():
                events.publish("probe.happened", kind_key=notifications.SYSTEM_WARNING, to="Owner",
                               message="durable hello")
            assert not Notification.objects.filter(message="durable hello").exists()
            assert Message.objects.filter(topic="events.durable", status="pending").count() == 1
            # the sweep: the subscriber runs, its send() writes the next message in the same transaction
            assert outbox.process_due() == 2
    assert list(Notification.objects.filter(message="durable hello").values_list("recipient__username", flat=True)) \
        == ["owner"]
    assert set(Message.objects.values_list("status", flat=True)) == {"done"}


def test_the_core_must_not_lose_subscriptions_are_durable():
    durable = {(s.event, s.handler) for m in registry.modules() for s in m.subscriptions if s.durable}
    assert {("stock.low", "modules.core.inventory.notices.on_stock_low"),
            ("payment.received", "modules.core.payments.notices.on_payment_received"),
            ("payment.failed", "modules.core.payments.notices.on_payment_failed"),
            ("approval.requested", "modules.core.approvals.handlers.on_requested"),
            ("laundry.overdue", "modules.laundry.handlers.tell_the_owner_what_is_overdue")} <= durable
    assert registry.outbox_topic("notifications.deliver")


# --- real workers ------------------------------------------------------------------------------

def worker_env():
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.settings.test", "DATABASE_URL": database_url(),
            "OUTBOX_EAGER": "0", "BACKOFFICE_MODULES": ",".join(PROBE_MODULES)}


def start_worker():
    return subprocess.Popen([sys.executable, "manage.py", "rqworker", "default"], cwd=ROOT, env=worker_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the worker and the work horse running the job
    except ProcessLookupError:
        pass
    process.wait()


def test_after_commit_a_real_worker_runs_it(probe):
    worker = start_worker()
    try:
        with override_settings(OUTBOX_EAGER=False):
            message = outbox.enqueue(PROBE, key="w1", payload={"user_id": probe})
        deadline = time.monotonic() + 60
        while Message.objects.get(pk=message.pk).status != "done":
            assert time.monotonic() < deadline, "the worker did not run the message"
            time.sleep(0.2)
    finally:
        kill_group(worker)
    assert rows_per_key("w1") == {"w1": 1}


def test_a_worker_killed_mid_job_loses_nothing_and_duplicates_nothing(probe, tmp_path, capsys):
    """Two workers; each time one has finished a message, kill -9 a worker (with its work horse)
    0.15 s into the next 0.3 s message; the sweep then runs what is left. Each message's row exists
    exactly once; the outside world (the journal file) may see a repeat only when a kill fell
    between its write and the commit."""
    journal = tmp_path / "journal"
    messages, max_kills = 40, 5
    workers = [start_worker(), start_worker()]
    kills = 0
    try:
        with override_settings(OUTBOX_EAGER=False):
            with transaction.atomic():
                for n in range(messages):
                    outbox.enqueue(PROBE, key=f"kill-{n:03}", payload={"user_id": probe, "sleep": 0.3,
                                                                         "journal": str(journal)})
            deadline = time.monotonic() + 120
            done = 0
            while kills < max_kills and time.monotonic() < deadline:
                now_done = Message.objects.filter(status="done").count()
                if now_done == done:
                    time.sleep(0.05)
                    continue
                done = now_done
                time.sleep(0.15)
                kill_group(workers[kills % 2])
                workers[kills % 2] = start_worker()
                kills += 1
    finally:
        for worker in workers:
            kill_group(worker)
    interrupted = Message.objects.filter(status="pending").count()
    deadline = time.monotonic() + 60
    while Message.objects.filter(status="pending").exists():  # the sweep, as the scheduler runs it
        assert time.monotonic() < deadline
        outbox.process_due()
        time.sleep(0.5)

    assert set(Message.objects.values_list("status", flat=True)) == {"done"}
    counts = rows_per_key("kill-")
    assert len(counts) == messages and set(counts.values()) == {1}, "a message was lost or done twice"
    outside = Counter(journal.read_text().split())
    assert set(outside) == set(counts)
    with capsys.disabled():
        print(f"\n[outbox kill -9] {kills} kills, {interrupted} messages left to the sweep, "
              f"{messages}/{messages} done once in PostgreSQL, "
              f"{sum(outside.values()) - messages} repeats seen outside")


def test_redis_down_at_commit_time_loses_nothing(probe, tmp_path):
    redis = PrivateRedis(tmp_path)
    queues = {"default": {**settings.RQ_QUEUES["default"], "URL": redis.url(0)}}
    try:
        with override_settings(OUTBOX_EAGER=False, RQ_QUEUES=queues):
            redis.kill()
            started = time.monotonic()
            with transaction.atomic():
                message = outbox.enqueue(PROBE, key="redis-down", payload={"user_id": probe})
            assert time.monotonic() - started < 2, "the commit waited on Redis"
            assert Message.objects.get(pk=message.pk).status == "pending"
            assert outbox.process_due() == 1  # the sweep once Redis (and so the scheduler) is back
    finally:
        redis.stop()
        outbox._redis_skip_until = 0.0
    assert Message.objects.get(pk=message.pk).status == "done"
    assert rows_per_key("redis-down") == {"redis-down": 1}


def test_thirty_concurrent_processors_handle_each_message_exactly_once(probe):
    total = 300
    with override_settings(OUTBOX_EAGER=False), transaction.atomic():
        for n in range(total):
            outbox.enqueue(PROBE, key=f"c-{n:03}", payload={"user_id": probe})
    ran = []
    barrier = threading.Barrier(30)

    def processor():
        try:
            barrier.wait()
            ran.append(outbox.process_due())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=processor) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(ran) == total
    assert sum(1 for n in ran if n) > 1, "one processor did everything: no concurrency was tested"
    counts = rows_per_key("c-")
    assert len(counts) == total and set(counts.values()) == {1}
    assert Message.objects.filter(status="done").count() == total

