"""The health watcher on real PostgreSQL and Redis: each condition turns bad for a real reason, the owner
gets one bell notification and one e-mail, repeated only after REPEAT, and "Resolved: …" when it clears."""

import os
import subprocess
import time
from datetime import timedelta

import django_rq
import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from fixtures.demo import seed
from modules.core.notifications.models import Notification
from modules.core.payments.models import StkRequest
from modules.core.system import jobs, watcher
from modules.core.system.models import BackupRun, WatchedCondition
from tests.conftest import PASSWORD


@pytest.fixture
def owner(transactional_db):
    seed(PASSWORD, opening_stock=False)
    user = User.objects.get(username="owner")
    user.email = "owner@example.co.ke"
    user.save()
    return user


@pytest.fixture
def healthy(owner, redis_conn):
    """A registered worker and a fresh cron heartbeat, so only the condition under test is bad."""
    from rq import Worker

    worker = Worker(["default"], connection=redis_conn, name="watcher-test")
    worker.register_birth()
    worker.heartbeat()
    watcher.heartbeat()
    BackupRun.objects.create(stamp="20261130-0230", finished_at=timezone.now(), ok=True, offsite_ok=True)
    yield owner
    worker.register_death()


def bell(owner):
    return list(Notification.objects.filter(recipient=owner, kind="system.warning").order_by("id")
                .values_list("message", flat=True))


def test_an_alert_is_sent_once_repeated_after_six_hours_and_resolved(healthy):
    BackupRun.objects.create(stamp="20261201-0230", finished_at=timezone.now(), ok=True, offsite_ok=False,
                             message="rclone: 403 Forbidden")
    now = timezone.now()
    assert set(watcher.watch(now)) == {"offsite_failed"}
    assert bell(healthy) == ["The off-site copy of backup 20261201-0230 failed: rclone: 403 Forbidden"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["owner@example.co.ke"]
    assert "403 Forbidden" in mail.outbox[0].body

    watcher.watch(now + timedelta(hours=1))
    assert len(bell(healthy)) == 1, "repeated within the throttle window"
    watcher.watch(now + timedelta(hours=6, minutes=1))
    assert len(bell(healthy)) == 2 and len(mail.outbox) == 2

    BackupRun.objects.create(stamp="20261202-0230", finished_at=timezone.now(), ok=True, offsite_ok=True)
    assert watcher.watch(now + timedelta(hours=7)) == {}
    assert bell(healthy)[-1].startswith("Resolved: The off-site copy")
    assert not WatchedCondition.objects.get(key="offsite_failed").active
    assert watcher.watch(now + timedelta(hours=8)) == {} and len(bell(healthy)) == 3


@override_settings(HEALTH_WATCH_BACKUPS=True)
def test_a_backup_older_than_26_hours(healthy):
    BackupRun.objects.update(finished_at=timezone.now() - timedelta(hours=27))
    assert "27 h old" in watcher.watch()["backup_stale"]


def test_no_worker_and_an_old_queued_job(healthy, redis_conn):
    for name in redis_conn.smembers("rq:workers"):  # the worker died without a goodbye
        redis_conn.delete(name)
    redis_conn.delete("rq:workers")
    django_rq.get_queue("default").enqueue("tests.jobs.mark_done", 1)
    assert watcher.watch()["queue_stuck"] == "No job worker is running; 1 jobs wait."


def test_a_silent_scheduler(healthy, redis_conn):
    redis_conn.set(watcher.HEARTBEAT_KEY, time.time() - 600)
    assert "silent for 10 min" in watcher.watch()["scheduler_silent"]


def test_redis_over_90_percent_of_its_budget(healthy, redis_budget):
    used = int(redis_budget.info("memory")["used_memory"])
    redis_budget.config_set("maxmemory", int(used / 0.95))
    assert "budget" in watcher.watch()["redis_memory"]


def test_low_disk_on_a_real_small_filesystem(healthy, tmp_path):
    volume = tmp_path / "volume"
    volume.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(volume)],
                      capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        with override_settings(HEALTH_WATCH_DISKS=[str(volume)]):
            assert "disk_free" not in watcher.watch()
            (volume / "filler").write_bytes(os.urandom(920 * 1024))
            assert str(volume) in watcher.watch()["disk_free"]
    finally:
        subprocess.run(["umount", str(volume)], check=True)


def test_a_broken_ledger_found_by_the_nightly_walk(healthy):
    from tests import db_roles
    from tests.ledger_helpers import cash_sale

    from modules.core.ledger.models import JournalEntry

    cash_sale("water", 116, timezone.localdate())
    assert "entries verified" in jobs.verify_ledger()
    number = JournalEntry.objects.get().number  # the only entry (numbers are not restarted between tests)
    with db_roles.connect("superuser") as superuser, superuser.transaction():  # as test_ledger tampers
        superuser.execute("SET LOCAL session_replication_role = replica")  # superuser: triggers off
        superuser.execute("UPDATE ledger_journalentry SET memo = memo || ' (edited)' WHERE number = %s", [number])
    assert "verify_ledger failed" in jobs.verify_ledger()
    assert f"#{number}" in watcher.watch()["ledger_broken"]


def test_mpesa_callbacks_stopped_while_requests_are_made(healthy):
    from modules.core.businesses.models import Business
    from modules.core.payments.models import Invoice

    water = Business.objects.get(code="water")
    old = timezone.now() - timedelta(minutes=5)
    for n in range(3):
        invoice = Invoice.objects.create(business=water, description=f"Invoice {n}", amount=100,
                                         issued_on=timezone.localdate())
        request = StkRequest.objects.create(document=invoice, business=water, phone=f"25471234567{n}", amount=100,
                                            checkout_request_id=f"ws_CO_{n}", settled_by="query")
        StkRequest.objects.filter(pk=request.pk).update(created_at=old)
    assert "no callback" in watcher.watch()["mpesa_callbacks_stopped"]
    StkRequest.objects.filter(checkout_request_id="ws_CO_0").update(settled_by="callback")
    assert "mpesa_callbacks_stopped" not in watcher.watch()


def test_the_watch_queues_its_own_next_run_once_per_minute(healthy):
    """So a silent cron scheduler is still reported: the worker's scheduler runs the next watch."""
    minute_before = timezone.now().strftime("%H%M")
    jobs.health_watch()
    jobs.health_watch()
    same_minute = timezone.now().strftime("%H%M") == minute_before
    scheduled = [j for j in django_rq.get_queue("default").scheduled_job_registry.get_job_ids()
                 if j.startswith("system-health-watch-")]
    assert 1 <= len(scheduled) <= (1 if same_minute else 2)
